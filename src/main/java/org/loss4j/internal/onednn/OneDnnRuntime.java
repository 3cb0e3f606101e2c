package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.loss4j.DType;
import org.loss4j.internal.Config;
import org.loss4j.internal.nativelib.NativeLibraries;
import org.loss4j.internal.onednn.dnnl.dnnl_version_t;

/**
 * The process-wide oneDNN state: the loaded library, one CPU engine (oneDNN engines are thread-safe), and the
 * primitive cache. Primitives are created once per (op, shapes, dtype, attributes) key and then executed by any
 * thread, each with its own stream, memory objects and scratchpad ({@link ExecutionContext}).
 */
public final class OneDnnRuntime {

    private static volatile Object instance; // OneDnnRuntime, or the Throwable that stopped it

    final MemorySegment engine;
    private final String version;
    private final String isa;
    private final String runtime;
    private final String loadedFrom;
    private final ConcurrentHashMap<Object, OnePrimitive> cache = new ConcurrentHashMap<>();
    private final int cacheCapacity;
    private final AtomicLong created = new AtomicLong();

    private OneDnnRuntime() {
        NativeLibraries.Loaded loaded = OneDnn.load();
        this.loadedFrom = loaded.toString();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
            OneDnn.check("dnnl_engine_create", dnnl_engine_create(ptr, dnnl_cpu(), 0));
            this.engine = ptr.get(ValueLayout.ADDRESS, 0);
            MemorySegment v = dnnl_version_t.reinterpret(dnnl_version(), arena, null);
            this.version = dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
            int rt = dnnl_version_t.cpu_runtime(v);
            this.runtime = rt == DNNL_RUNTIME_OMP() ? "OpenMP" : rt == DNNL_RUNTIME_SEQ() ? "sequential"
                    : rt == DNNL_RUNTIME_TBB() ? "TBB" : "runtime " + rt;
        }
        this.isa = isaName(dnnl_get_effective_cpu_isa());
        this.cacheCapacity = Integer.parseInt(Config.ONEDNN_CACHE.get());
    }

    /**
     * The runtime, loading oneDNN on first use.
     *
     * @throws IllegalStateException with the loader's full report if oneDNN cannot be loaded or initialised
     */
    public static OneDnnRuntime get() {
        Object o = instance;
        if (o == null) {
            synchronized (OneDnnRuntime.class) {
                o = instance;
                if (o == null) {
                    try {
                        o = new OneDnnRuntime();
                    } catch (Throwable t) { // UnsatisfiedLinkError, OneDnnException: remembered, reported each time
                        o = t;
                    }
                    instance = o;
                }
            }
        }
        if (o instanceof OneDnnRuntime r) return r;
        Throwable t = (Throwable) o;
        throw new IllegalStateException("oneDNN is unavailable: " + t.getMessage(), t);
    }

    /** Why oneDNN cannot run, or null if it can. Never throws. */
    public static String unavailableReason() {
        try {
            get();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage().replaceFirst("^oneDNN is unavailable: ", "");
        }
    }

    public String version() {
        return version;
    }

    public String cpuRuntime() {
        return runtime;
    }

    public String isa() {
        return isa;
    }

    public String loadedFrom() {
        return loadedFrom;
    }

    /** Primitives created so far (a repeated call with the same key creates none: tests check this). */
    public long primitivesCreated() {
        return created.get();
    }

    /** Cached primitives. */
    public int cachedPrimitives() {
        return cache.size();
    }

    /** The oneDNN data type of a loss4j floating dtype (only F32 is computed by oneDNN here). */
    static int dataType(DType dt) {
        return switch (dt) {
            case F32 -> dnnl_f32();
            case I32 -> dnnl_s32();
            default -> throw new IllegalArgumentException("oneDNN has no CPU kernels for " + dt.torchName());
        };
    }

    /**
     * The primitive for {@code key}, created by {@code factory} on first use and cached. When the cache is full the
     * primitive is still created and returned, marked transient: the caller's {@link ExecutionContext#run} destroys
     * it after the call (correct, only slower), so a service with unbounded shapes cannot grow native memory.
     */
    public OnePrimitive primitive(Object key, OnePrimitive.Factory factory) {
        OnePrimitive p = cache.get(key);
        if (p != null) return p;
        if (cache.size() >= cacheCapacity) {
            created.incrementAndGet();
            return OnePrimitive.create(this, key, factory, true);
        }
        return cache.computeIfAbsent(key, k -> {
            created.incrementAndGet();
            return OnePrimitive.create(this, k, factory, false);
        });
    }

    static String isaName(int isa) {
        if (isa == dnnl_cpu_isa_avx512_core_amx()) return "avx512_core_amx";
        if (isa == dnnl_cpu_isa_avx512_core_bf16()) return "avx512_core_bf16";
        if (isa == dnnl_cpu_isa_avx512_core_vnni()) return "avx512_core_vnni";
        if (isa == dnnl_cpu_isa_avx512_core()) return "avx512_core";
        if (isa == dnnl_cpu_isa_avx2_vnni()) return "avx2_vnni";
        if (isa == dnnl_cpu_isa_avx2()) return "avx2";
        if (isa == dnnl_cpu_isa_avx()) return "avx";
        if (isa == dnnl_cpu_isa_sse41()) return "sse41";
        return "isa " + isa;
    }
}

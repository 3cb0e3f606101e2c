package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import org.loss4j.DType;
import org.loss4j.internal.Config;
import org.loss4j.internal.nativelib.NativeLeaks;
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
    private final PrimitiveCache cache;
    /** Every cache of this runtime (the process-wide one, and tests' own), closed with it. */
    private final java.util.List<PrimitiveCache> caches = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Primitive creation holds the read lock, {@link #shutdown()} the write lock: no creation on a closed engine. */
    final java.util.concurrent.locks.ReentrantReadWriteLock lifecycle = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile boolean closed;

    static final String ENGINE = "onednn engine";

    /** Frees thread-owned streams and memory objects after their thread ends, and transient primitives never run. */
    static final Cleaner CLEANER = Cleaner.create();

    // Native objects over the process, for tests and leak checks (never touched per call in steady state).
    static final AtomicLong PRIMITIVES_CREATED = new AtomicLong();
    static final AtomicLong PRIMITIVES_DESTROYED = new AtomicLong();
    static final AtomicLong STREAMS_CREATED = new AtomicLong();
    static final AtomicLong STREAMS_DESTROYED = new AtomicLong();
    static final AtomicLong MEMORIES_CREATED = new AtomicLong();
    static final AtomicLong MEMORIES_DESTROYED = new AtomicLong();

    private OneDnnRuntime() {
        NativeLibraries.Loaded loaded = OneDnn.load();
        this.loadedFrom = origin(loaded);
        try (Arena arena = Arena.ofConfined()) {
            // The version first (before any other symbol is used): a library of another ABI is refused by name.
            MemorySegment v = dnnl_version_t.reinterpret(dnnl_version(), arena, null);
            this.version = dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
            String problem = versionProblem(dnnl_version_t.major(v), dnnl_version_t.minor(v), dnnl_version_t.patch(v));
            if (problem != null) throw new IllegalStateException(problem + " (loaded from " + loadedFrom + ")");
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
            OneDnn.check("dnnl_engine_create", dnnl_engine_create(ptr, dnnl_cpu(), 0));
            this.engine = ptr.get(ValueLayout.ADDRESS, 0);
            NativeLeaks.allocated(ENGINE, engine.address());
            int rt = dnnl_version_t.cpu_runtime(v);
            this.runtime = rt == DNNL_RUNTIME_OMP() ? "OpenMP" : rt == DNNL_RUNTIME_SEQ() ? "sequential"
                    : rt == DNNL_RUNTIME_TBB() ? "TBB" : "runtime " + rt;
        }
        this.isa = isaName(dnnl_get_effective_cpu_isa());
        this.cache = new PrimitiveCache(this, cacheCapacity(Config.ONEDNN_CACHE.get()));
        caches.add(cache);
        if (NativeLeaks.ENABLED) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shutdown();
                System.err.println("[loss4j leaks] " + NativeLeaks.report());
            }, "loss4j-leak-report"));
        }
    }

    /** Throws {@link IllegalStateException} once the runtime is closed. */
    void checkOpen() {
        if (closed) throw new IllegalStateException("the oneDNN runtime is closed (OneDnnRuntime.shutdown)");
    }

    /** Whether {@link #shutdown()} has closed this runtime. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the process-wide runtime (internal: tests, and the JVM-exit hook of {@code loss4j.leaks=true}): every
     * primitive of every cache, every thread's stream, memory objects and scratchpad, then the engine, each destroyed
     * exactly once. Executions in progress are waited for (up to 10 s each: a thread still running then keeps its
     * objects, which is a reported leak, never a use-after-free); later calls on any thread throw
     * {@link IllegalStateException}, and {@link #get()} reports oneDNN as unavailable (closed). Idempotent.
     *
     * @return whether every object was destroyed
     */
    public static boolean shutdown() {
        Object o;
        synchronized (OneDnnRuntime.class) {
            o = instance;
            if (o == null || o instanceof OneDnnRuntime) {
                instance = new IllegalStateException("the oneDNN runtime was closed (OneDnnRuntime.shutdown)");
            }
        }
        return !(o instanceof OneDnnRuntime r) || r.close();
    }

    private boolean close() {
        var lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) return true;
            closed = true;
            boolean all = ExecutionContext.closeAll(10_000);
            if (all) { // else a thread is still inside oneDNN: its primitives and the engine stay (a leak, not a crash)
                for (PrimitiveCache c : caches) c.close();
                OneDnn.check("dnnl_engine_destroy", dnnl_engine_destroy(engine));
                NativeLeaks.freed(ENGINE, engine.address());
            }
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** The oneDNN version the bindings were generated from ({@code bindings/onednn}); same major, minor at least. */
    public static final int BINDINGS_MAJOR = 3, BINDINGS_MINOR = 8;

    /**
     * Why a loaded oneDNN of this version cannot be used with the bindings, or null if it can: the major version must
     * match (the C ABI changes between majors) and the minor be at least the bindings' (newer functions are bound).
     */
    public static String versionProblem(int major, int minor, int patch) {
        if (major == BINDINGS_MAJOR && minor >= BINDINGS_MINOR) return null;
        return "libdnnl is oneDNN " + major + "." + minor + "." + patch + ", but loss4j's bindings need oneDNN "
                + BINDINGS_MAJOR + ".x, " + BINDINGS_MAJOR + "." + BINDINGS_MINOR + " or newer (org.bytedeco:dnnl 3.8.1 is"
                + " the tested one); point " + Config.ONEDNN_PATH.property() + " at a matching libdnnl.so.3";
    }

    static int cacheCapacity(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(Config.ONEDNN_CACHE.property() + " / " + Config.ONEDNN_CACHE.environmentVariable()
                + " must be a number of primitives >= 0, got '" + value + "'");
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

    /** The natives' origin, e.g. {@code class path (extracted to ...): libgomp.so.1, libOpenCL.so.1, libdnnl.so.3}. */
    private static String origin(NativeLibraries.Loaded loaded) {
        StringBuilder sb = new StringBuilder(loaded.source()).append(": ");
        for (int i = 0; i < loaded.files().size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(loaded.files().get(i).getFileName());
        }
        return sb.toString();
    }

    /**
     * Primitives created so far by every cache, cached and transient (a repeated call with the same key creates none:
     * tests check this). Failed creations are not counted.
     */
    public long primitivesCreated() {
        return PRIMITIVES_CREATED.get();
    }

    /** Primitives destroyed so far (transient ones after their call; cached ones when the runtime closes). */
    public long primitivesDestroyed() {
        return PRIMITIVES_DESTROYED.get();
    }

    /** oneDNN streams created so far (one per thread that executed a primitive). */
    public long streamsCreated() {
        return STREAMS_CREATED.get();
    }

    /** oneDNN streams destroyed so far (after their thread ended). */
    public long streamsDestroyed() {
        return STREAMS_DESTROYED.get();
    }

    /** oneDNN memory objects created so far (per thread and primitive argument, or per transient call). */
    public long memoriesCreated() {
        return MEMORIES_CREATED.get();
    }

    /** oneDNN memory objects destroyed so far. */
    public long memoriesDestroyed() {
        return MEMORIES_DESTROYED.get();
    }

    /** Primitives in the process-wide cache. */
    public int cachedPrimitives() {
        return cache.size();
    }

    /** The process-wide primitive cache ({@code loss4j.onednn.cache} primitives at most). */
    public PrimitiveCache cache() {
        return cache;
    }

    /**
     * A new primitive cache of its own holding at most {@code capacity} primitives (tests; the backend uses
     * {@link #cache()}).
     */
    public PrimitiveCache newCache(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
        PrimitiveCache c = new PrimitiveCache(this, capacity);
        caches.add(c);
        return c;
    }

    /** The oneDNN data type of a loss4j floating dtype (only F32 is computed by oneDNN here). */
    static int dataType(DType dt) {
        return switch (dt) {
            case F32 -> dnnl_f32();
            case I32 -> dnnl_s32();
            default -> throw new IllegalArgumentException("oneDNN has no CPU kernels for " + dt.torchName());
        };
    }

    /** {@code cache().primitive(key, factory)}: the cached primitive for {@code key}, see {@link PrimitiveCache}. */
    public OnePrimitive primitive(Object key, OnePrimitive.Factory factory) {
        return cache.primitive(key, factory);
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

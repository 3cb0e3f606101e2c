package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.internal.onednn.dnnl.dnnl_exec_arg_t;

/**
 * One thread's oneDNN execution state: a stream (oneDNN streams are not shared between threads), a memory object per
 * (primitive, argument) whose data handle is pointed at the caller's buffers on each call, the argument array, and a
 * reusable scratchpad. The steady state allocates nothing. When the thread ends, a {@link Cleaner} destroys the stream
 * and the memory objects exactly once.
 */
public final class ExecutionContext {

    private static final int MAX_ARGS = 16;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<ExecutionContext> CURRENT = ThreadLocal.withInitial(ExecutionContext::new);

    /** Native handles to free when the owning thread is gone (no reference back to the context). */
    private static final class Handles implements Runnable {
        final List<MemorySegment> memories = new ArrayList<>();
        MemorySegment stream;

        @Override
        public void run() {
            for (MemorySegment m : memories) dnnl_memory_destroy(m);
            memories.clear();
            if (stream != null) dnnl_stream_destroy(stream);
            stream = null;
        }
    }

    private final OneDnnRuntime rt;
    private final Handles handles = new Handles();
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
    private final MemorySegment args = dnnl_exec_arg_t.allocateArray(MAX_ARGS, arena);
    private final Map<OnePrimitive, MemorySegment[]> memories = new IdentityHashMap<>();
    private MemorySegment scratchpad = MemorySegment.NULL;

    private ExecutionContext() {
        this.rt = OneDnnRuntime.get();
        OneDnn.check("dnnl_stream_create", dnnl_stream_create(ptr, rt.engine, dnnl_stream_default_flags()));
        handles.stream = ptr.get(ValueLayout.ADDRESS, 0);
        CLEANER.register(this, handles);
    }

    /** The calling thread's context. */
    public static ExecutionContext current() {
        return CURRENT.get();
    }

    /**
     * Executes {@code p} on this thread's stream with {@code buffers} (one per {@code p}'s argument id, in order) and
     * waits for it. Each buffer is checked first: native memory, alive, at least the bytes the primitive reads or
     * writes. A transient primitive (cache full) is destroyed afterwards.
     */
    public void run(OnePrimitive p, MemorySegment... buffers) {
        try {
            if (buffers.length != p.argIds.length) {
                throw new IllegalArgumentException("oneDNN " + p.key + ": " + buffers.length + " buffers for "
                        + p.argIds.length + " arguments");
            }
            for (int i = 0; i < buffers.length; i++) {
                MemorySegment b = buffers[i];
                if (!b.isNative() || !b.scope().isAlive() || b.byteSize() < p.argBytes[i]) {
                    throw new IllegalArgumentException("oneDNN " + p.key + ": argument " + i + " needs " + p.argBytes[i]
                            + " bytes of live native memory, got " + (b.isNative() ? b.byteSize() + " bytes" : "heap memory")
                            + (b.scope().isAlive() ? "" : " (closed)"));
                }
            }
            MemorySegment[] mem = memories.get(p);
            if (mem == null) {
                mem = new MemorySegment[p.argIds.length + 1];
                for (int i = 0; i < p.argIds.length; i++) mem[i] = newMemory(p.argMds[i]);
                if (p.scratchpadBytes > 0) mem[p.argIds.length] = newMemory(p.scratchpadMd);
                if (!p.transientPrimitive) memories.put(p, mem);
            }
            int n = 0;
            for (int i = 0; i < buffers.length; i++) {
                OneDnn.check("dnnl_memory_set_data_handle", dnnl_memory_set_data_handle(mem[i], buffers[i]));
                setArg(n++, p.argIds[i], mem[i]);
            }
            if (p.scratchpadBytes > 0) {
                OneDnn.check("dnnl_memory_set_data_handle", dnnl_memory_set_data_handle(mem[p.argIds.length], scratchpad(p.scratchpadBytes)));
                setArg(n++, DNNL_ARG_SCRATCHPAD(), mem[p.argIds.length]);
            }
            OneDnn.check("dnnl_primitive_execute", dnnl_primitive_execute(p.primitive, handles.stream, n, args), p.key.toString());
            OneDnn.check("dnnl_stream_wait", dnnl_stream_wait(handles.stream), p.key.toString());
            if (p.transientPrimitive) {
                for (MemorySegment m : mem) {
                    if (m != null) {
                        handles.memories.remove(m);
                        dnnl_memory_destroy(m);
                    }
                }
            }
        } finally {
            if (p.transientPrimitive) p.destroy();
        }
    }

    private void setArg(int i, int id, MemorySegment memory) {
        MemorySegment a = dnnl_exec_arg_t.asSlice(args, i);
        dnnl_exec_arg_t.arg(a, id);
        dnnl_exec_arg_t.memory(a, memory);
    }

    private MemorySegment newMemory(MemorySegment md) {
        OneDnn.check("dnnl_memory_create", dnnl_memory_create(ptr, md, rt.engine, MemorySegment.NULL));
        MemorySegment m = ptr.get(ValueLayout.ADDRESS, 0);
        handles.memories.add(m);
        return m;
    }

    /** This thread's scratchpad, grown (never shrunk) to at least {@code bytes}. */
    private MemorySegment scratchpad(long bytes) {
        if (scratchpad.byteSize() < bytes) {
            scratchpad = arena.allocate(Math.max(bytes, 2 * scratchpad.byteSize()), 64);
        }
        return scratchpad;
    }

    /** Memory descriptor helper: a row-major {@code dims} of {@code dataType}; destroy it after creating the pd. */
    public static MemorySegment rowMajor(Arena arena, int dataType, long... dims) {
        long[] strides = new long[dims.length];
        long acc = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            strides[d] = acc;
            acc *= Math.max(1, dims[d]);
        }
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        OneDnn.check("dnnl_memory_desc_create_with_strides", dnnl_memory_desc_create_with_strides(out, dims.length,
                arena.allocateFrom(ValueLayout.JAVA_LONG, dims), dataType, arena.allocateFrom(ValueLayout.JAVA_LONG, strides)),
                java.util.Arrays.toString(dims));
        return out.get(ValueLayout.ADDRESS, 0);
    }
}

package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.internal.nativelib.NativeLeaks;
import org.loss4j.internal.onednn.dnnl.dnnl_exec_arg_t;

/**
 * One thread's oneDNN execution state: a stream (oneDNN streams are not shared between threads), a memory object per
 * (primitive, argument) whose data handle is pointed at the caller's buffers on each call, the argument array, and a
 * reusable scratchpad. The steady state allocates nothing on the Java heap: use the fixed-arity {@code run}
 * overloads (the varargs one allocates its array).
 *
 * <p>Lifetime: the context is reachable from its thread's {@link ThreadLocal} map only, so while the thread lives the
 * {@link java.lang.ref.Cleaner} cannot run; when the thread ends (its thread locals are dropped) the Cleaner destroys
 * the stream, the memory objects and the scratchpads exactly once, on the Cleaner's thread; or the runtime's close
 * ({@link OneDnnRuntime#shutdown()}) destroys them first, after waiting for the thread's execution in progress (each
 * execution publishes a volatile "running" flag, then reads the closed flag; the close sets the closed flag, then waits
 * for the flag to drop), and every later execution is refused before any native call. Every method other than
 * {@link #current()} must be called by the owning thread (they are, through {@code current()}).
 */
public final class ExecutionContext {

    private static final int MAX_ARGS = 16;
    private static final long ARG_SIZE = dnnl_exec_arg_t.sizeof();
    private static final long ARG_ID = dnnl_exec_arg_t.arg$offset();
    private static final long ARG_MEMORY = dnnl_exec_arg_t.memory$offset();
    private static final ThreadLocal<ExecutionContext> CURRENT = ThreadLocal.withInitial(ExecutionContext::new);

    static final String STREAM = "onednn stream";
    static final String MEMORY = "onednn memory";
    static final String SCRATCHPAD = "onednn scratchpad";

    /** Every context's handles not destroyed yet, for the runtime's close. */
    private static final java.util.Set<Handles> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Set once by the runtime's close: every later execution is refused before any native call. */
    private static volatile boolean closed;

    /** A view of one context's native handles that does not keep the context reachable (tests, leak checks). */
    public interface NativeHandles {
        /** How often the handles were destroyed: 0 while the owning thread lives, then 1. */
        int destructions();

        /** Memory objects the context created and kept (transient primitives' ones are destroyed after their call). */
        int memories();

        /** Of those, how many are destroyed. */
        int memoriesDestroyed();

        /** Whether the stream is destroyed. */
        boolean streamDestroyed();
    }

    /**
     * Native handles to free when the owning thread is gone: no reference back to the context. Synchronized because
     * the owner adds to it and the Cleaner's thread destroys it (only on first use of a primitive: not per call).
     */
    private static final class Handles implements Runnable, NativeHandles {
        private final List<MemorySegment> memories = new ArrayList<>();
        private final List<MemorySegment> scratchpads = new ArrayList<>();
        private final Arena arena = Arena.ofShared(); // stream pointer, argument array, scratchpads: closed with the handles
        /** True while the owner executes (a volatile write, then the closed flag is read: the close waits for it). */
        volatile boolean running;
        volatile boolean destroyed;
        private MemorySegment stream;
        private int destructions;
        private int memoriesDestroyed;
        private boolean streamDestroyed;

        synchronized void add(MemorySegment memory) {
            memories.add(memory);
        }

        synchronized void addScratchpad(MemorySegment s) {
            scratchpads.add(s);
            NativeLeaks.allocated(SCRATCHPAD, s.address());
        }

        @Override
        public synchronized void run() { // the Cleaner, or the runtime's close: only the first call destroys
            if (destructions++ > 0) return;
            destroyed = true;
            LIVE.remove(this);
            for (MemorySegment m : memories) {
                dnnl_memory_destroy(m);
                memoriesDestroyed++;
                OneDnnRuntime.MEMORIES_DESTROYED.incrementAndGet();
                NativeLeaks.freed(MEMORY, m.address());
            }
            if (stream != null) {
                dnnl_stream_destroy(stream);
                streamDestroyed = true;
                OneDnnRuntime.STREAMS_DESTROYED.incrementAndGet();
                NativeLeaks.freed(STREAM, stream.address());
            }
            for (MemorySegment s : scratchpads) NativeLeaks.freed(SCRATCHPAD, s.address());
            arena.close();
        }

        @Override
        public synchronized int destructions() {
            return destructions;
        }

        @Override
        public synchronized int memories() {
            return memories.size();
        }

        @Override
        public synchronized int memoriesDestroyed() {
            return memoriesDestroyed;
        }

        @Override
        public synchronized boolean streamDestroyed() {
            return streamDestroyed;
        }
    }

    private final OneDnnRuntime rt;
    private final Handles handles = new Handles();
    private final MemorySegment stream;
    private final Arena arena = handles.arena;
    private final MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
    private final MemorySegment args = dnnl_exec_arg_t.allocateArray(MAX_ARGS, arena);
    private final Map<OnePrimitive, MemorySegment[]> memories = new IdentityHashMap<>();
    private final Thread owner = Thread.currentThread();
    private MemorySegment scratchpad = MemorySegment.NULL;

    private ExecutionContext() {
        this.rt = OneDnnRuntime.get();
        var lock = rt.lifecycle.readLock();
        lock.lock();
        try {
            rt.checkOpen();
            OneDnn.check("dnnl_stream_create", dnnl_stream_create(ptr, rt.engine, dnnl_stream_default_flags()));
            this.stream = ptr.get(ValueLayout.ADDRESS, 0);
            OneDnnRuntime.STREAMS_CREATED.incrementAndGet();
            NativeLeaks.allocated(STREAM, stream.address());
            synchronized (handles) {
                handles.stream = stream;
            }
            LIVE.add(handles);
        } catch (RuntimeException | Error e) {
            handles.arena.close();
            throw e;
        } finally {
            lock.unlock();
        }
        OneDnnRuntime.CLEANER.register(this, handles);
    }

    /** The calling thread's context (a new one if the runtime's close destroyed the old: that throws once closed). */
    public static ExecutionContext current() {
        ExecutionContext c = CURRENT.get();
        if (c.handles.destroyed) {
            CURRENT.remove();
            c = CURRENT.get();
        }
        return c;
    }

    /**
     * The runtime's close: refuses every later execution, waits (up to {@code timeoutMillis} each) for executions in
     * progress, and destroys every context's stream, memory objects and scratchpads exactly once.
     *
     * @return false if some thread was still executing after the wait (its handles are left alone)
     */
    static boolean closeAll(long timeoutMillis) {
        closed = true;
        boolean all = true;
        for (Handles h : List.copyOf(LIVE)) {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
            while (h.running && System.nanoTime() < deadline) Thread.onSpinWait();
            if (h.running) all = false;
            else h.run();
        }
        return all;
    }

    /** Contexts alive (streams not destroyed), over all threads. */
    public static int liveContexts() {
        return LIVE.size();
    }

    /** Marks this context as executing; refuses if the runtime is closed (before any native call). */
    private void enter() {
        handles.running = true;
        if (closed || handles.destroyed) {
            handles.running = false;
            throw new IllegalStateException("the oneDNN runtime is closed (OneDnnRuntime.shutdown)");
        }
    }

    /** This context's native handles, as a view that does not keep the context reachable. */
    public NativeHandles nativeHandles() {
        return handles;
    }

    /** The address of this thread's {@code dnnl_stream_t} (tests: one stream per thread). */
    public long streamAddress() {
        return stream.address();
    }

    /** {@link #run(OnePrimitive, MemorySegment...)} for a one-argument primitive, allocating nothing. */
    public void run(OnePrimitive p, MemorySegment a) {
        enter();
        try {
            arity(p, 1);
            check(p, 0, a);
            execute(p, a, null, null, null);
            Reference.reachabilityFence(a);
        } finally {
            try {
                if (p.transientPrimitive) p.destroy();
            } finally {
                handles.running = false;
            }
        }
    }

    /** {@link #run(OnePrimitive, MemorySegment...)} for a two-argument primitive, allocating nothing. */
    public void run(OnePrimitive p, MemorySegment a, MemorySegment b) {
        enter();
        try {
            arity(p, 2);
            check(p, 0, a);
            check(p, 1, b);
            execute(p, a, b, null, null);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
        } finally {
            try {
                if (p.transientPrimitive) p.destroy();
            } finally {
                handles.running = false;
            }
        }
    }

    /** {@link #run(OnePrimitive, MemorySegment...)} for a three-argument primitive, allocating nothing. */
    public void run(OnePrimitive p, MemorySegment a, MemorySegment b, MemorySegment c) {
        enter();
        try {
            arity(p, 3);
            check(p, 0, a);
            check(p, 1, b);
            check(p, 2, c);
            execute(p, a, b, c, null);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
        } finally {
            try {
                if (p.transientPrimitive) p.destroy();
            } finally {
                handles.running = false;
            }
        }
    }

    /** {@link #run(OnePrimitive, MemorySegment...)} for a four-argument primitive, allocating nothing. */
    public void run(OnePrimitive p, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d) {
        enter();
        try {
            arity(p, 4);
            check(p, 0, a);
            check(p, 1, b);
            check(p, 2, c);
            check(p, 3, d);
            execute(p, a, b, c, d);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
            Reference.reachabilityFence(d);
        } finally {
            try {
                if (p.transientPrimitive) p.destroy();
            } finally {
                handles.running = false;
            }
        }
    }

    /**
     * Executes {@code p} on this thread's stream with {@code buffers} (one per {@code p}'s argument id, in order) and
     * waits for it. Each buffer is checked before any native call: native memory, alive, accessible from this thread,
     * writable where oneDNN writes it, at least the bytes the primitive reads or writes (else
     * {@link IllegalArgumentException}). A transient primitive (cache full) is destroyed afterwards, also on failure.
     * The buffers stay reachable until oneDNN is done with them (an automatic arena's memory cannot be freed under
     * oneDNN); closing a shared arena from another thread during the call is, as for any downcall given raw addresses,
     * the caller's error. The varargs array is the one allocation of this overload: the fixed-arity ones have none.
     *
     * @throws OneDnnException if oneDNN fails (naming the function and the status)
     */
    public void run(OnePrimitive p, MemorySegment... buffers) {
        enter();
        try {
            if (buffers == null) throw new IllegalArgumentException("oneDNN " + p.key + ": buffers is null");
            arity(p, buffers.length);
            for (int i = 0; i < buffers.length; i++) check(p, i, buffers[i]);
            MemorySegment[] mem = memories(p);
            try {
                for (int i = 0; i < buffers.length; i++) bind(p, mem, i, buffers[i]);
                execute(p, mem, buffers.length);
            } finally {
                if (p.transientPrimitive) destroyMemories(mem);
            }
            Reference.reachabilityFence(buffers);
        } finally {
            try {
                if (p.transientPrimitive) p.destroy();
            } finally {
                handles.running = false;
            }
        }
    }

    private void execute(OnePrimitive p, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d) {
        MemorySegment[] mem = memories(p);
        try {
            bind(p, mem, 0, a);
            if (b != null) bind(p, mem, 1, b);
            if (c != null) bind(p, mem, 2, c);
            if (d != null) bind(p, mem, 3, d);
            execute(p, mem, p.argIds.length);
        } finally {
            if (p.transientPrimitive) destroyMemories(mem);
        }
    }

    private void execute(OnePrimitive p, MemorySegment[] mem, int n) {
        if (p.scratchpadBytes > 0) {
            setHandle(mem[n], scratchpad(p.scratchpadBytes));
            setArg(n++, DNNL_ARG_SCRATCHPAD(), mem[p.argIds.length]);
        }
        int s = dnnl_primitive_execute(p.primitive, stream, n, args);
        if (s != dnnl_success()) OneDnn.check("dnnl_primitive_execute", s, p.key.toString());
        s = dnnl_stream_wait(stream);
        if (s != dnnl_success()) OneDnn.check("dnnl_stream_wait", s, p.key.toString());
    }

    private void arity(OnePrimitive p, int n) {
        if (p.isDestroyed()) {
            throw new IllegalStateException("oneDNN " + p.key + (p.transientPrimitive
                    ? ": this transient primitive (cache full) ran already and is destroyed"
                    : ": this primitive was destroyed by the runtime's close"));
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("oneDNN execution context of " + owner + " used by " + Thread.currentThread());
        }
        if (n != p.argIds.length) {
            throw new IllegalArgumentException("oneDNN " + p.key + ": " + n + " buffers for " + p.argIds.length + " arguments");
        }
        if (n >= MAX_ARGS) throw new IllegalArgumentException("oneDNN " + p.key + ": more than " + (MAX_ARGS - 1) + " arguments");
    }

    /** Java-side check of buffer {@code i}: a bad one never reaches oneDNN (no input may crash the JVM). */
    private void check(OnePrimitive p, int i, MemorySegment b) {
        if (b == null) throw new IllegalArgumentException("oneDNN " + p.key + ": argument " + i + " is null");
        boolean ok = b.isNative() && b.scope().isAlive() && b.isAccessibleBy(owner) && b.byteSize() >= p.argBytes[i]
                && !(p.argWritten[i] && b.isReadOnly());
        if (!ok) {
            throw new IllegalArgumentException("oneDNN " + p.key + ": argument " + i + " needs " + p.argBytes[i]
                    + " bytes of live native memory" + (p.argWritten[i] ? ", writable" : "") + ", got "
                    + (b.isNative() ? b.byteSize() + " bytes" : "heap memory (" + b.byteSize() + " bytes)")
                    + (b.scope().isAlive() ? "" : ", closed")
                    + (!b.scope().isAlive() || b.isAccessibleBy(owner) ? "" : ", confined to another thread")
                    + (p.argWritten[i] && b.isReadOnly() ? ", read-only" : ""));
        }
    }

    /** This thread's memory objects for {@code p} (created on first use; per call for a transient primitive). */
    private MemorySegment[] memories(OnePrimitive p) {
        MemorySegment[] mem = memories.get(p);
        if (mem != null) return mem;
        mem = new MemorySegment[p.argIds.length + 1];
        try {
            for (int i = 0; i < p.argIds.length; i++) mem[i] = newMemory(p.argMds[i], !p.transientPrimitive);
            if (p.scratchpadBytes > 0) mem[p.argIds.length] = newMemory(p.scratchpadMd, !p.transientPrimitive);
        } catch (RuntimeException | Error e) {
            if (p.transientPrimitive) destroyMemories(mem); // tracked ones are freed with the thread
            throw e;
        }
        if (!p.transientPrimitive) memories.put(p, mem);
        return mem;
    }

    private void bind(OnePrimitive p, MemorySegment[] mem, int i, MemorySegment buffer) {
        setHandle(mem[i], buffer);
        setArg(i, p.argIds[i], mem[i]);
    }

    private static void setHandle(MemorySegment memory, MemorySegment buffer) {
        int s = dnnl_memory_set_data_handle(memory, buffer);
        if (s != dnnl_success()) OneDnn.check("dnnl_memory_set_data_handle", s);
    }

    private void setArg(int i, int id, MemorySegment memory) {
        args.set(ValueLayout.JAVA_INT, i * ARG_SIZE + ARG_ID, id);
        args.set(ValueLayout.ADDRESS, i * ARG_SIZE + ARG_MEMORY, memory);
    }

    /** A memory object for {@code md}; tracked ones live until the thread ends, the others the caller destroys. */
    private MemorySegment newMemory(MemorySegment md, boolean tracked) {
        OneDnn.check("dnnl_memory_create", dnnl_memory_create(ptr, md, rt.engine, MemorySegment.NULL));
        MemorySegment m = ptr.get(ValueLayout.ADDRESS, 0);
        OneDnnRuntime.MEMORIES_CREATED.incrementAndGet();
        NativeLeaks.allocated(MEMORY, m.address());
        if (tracked) handles.add(m);
        return m;
    }

    private static void destroyMemories(MemorySegment[] mem) {
        for (int i = 0; i < mem.length; i++) {
            if (mem[i] != null) {
                dnnl_memory_destroy(mem[i]);
                OneDnnRuntime.MEMORIES_DESTROYED.incrementAndGet();
                NativeLeaks.freed(MEMORY, mem[i].address());
                mem[i] = null;
            }
        }
    }

    /** This thread's scratchpad, grown (never shrunk) to at least {@code bytes}. */
    private MemorySegment scratchpad(long bytes) {
        if (scratchpad.byteSize() < bytes) {
            long size = Math.max(bytes, 2 * scratchpad.byteSize());
            try {
                scratchpad = arena.allocate(size, 64);
            } catch (OutOfMemoryError e) {
                OutOfMemoryError clear = new OutOfMemoryError("oneDNN scratchpad of " + size + " bytes could not be"
                        + " allocated (" + e.getMessage() + "); nothing was executed");
                clear.initCause(e);
                throw clear;
            }
            handles.addScratchpad(scratchpad);
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

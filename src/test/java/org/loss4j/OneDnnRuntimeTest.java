package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.onednn.ExecutionContext;
import org.loss4j.internal.onednn.OneDnn;
import org.loss4j.internal.onednn.OneDnnException;
import org.loss4j.internal.onednn.OneDnnRuntime;
import org.loss4j.internal.onednn.OneDnnSoftmaxOps;
import org.loss4j.internal.onednn.OnePrimitive;
import org.loss4j.internal.onednn.PrimitiveCache;
import org.loss4j.loss.CTCLoss;
import org.loss4j.loss.CrossEntropyLoss;
import org.loss4j.loss.MSELoss;

/**
 * The oneDNN runtime: primitive cache (a repeated call creates nothing; the bound makes primitives transient and
 * leaks nothing), concurrent execution on shared primitives with one stream per thread, no Java allocation per call,
 * buffers checked before any native call, native failures as {@link OneDnnException}, native handles destroyed once
 * and only after their thread ends; and what {@code explain} and {@code info} say about the backend.
 *
 * <p>oneDNN's softmax primitives are off in the backend by default (their exp/log miss the float32 tolerance), so
 * these tests build {@link OneDnnSoftmaxOps} with them enabled, plus small eltwise/binary primitives of their own.
 */
class OneDnnRuntimeTest {

    static OneDnnRuntime rt;

    @BeforeAll
    static void runtime() {
        String why = OneDnnRuntime.unavailableReason();
        assumeTrue(why == null, "oneDNN unavailable: " + why);
        rt = OneDnnRuntime.get();
    }

    // ------------------------------------------------------------------ helpers

    static Tensor random(Arena arena, long seed, long... shape) {
        Tensor t = Tensor.zeros(arena, DType.F32, shape);
        Random r = new Random(seed);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, r.nextGaussian() * 5);
        return t;
    }

    static float[] floats(Tensor t) {
        return t.segment().toArray(ValueLayout.JAVA_FLOAT);
    }

    /** A key and factory for {@code y = alpha * x + beta} (eltwise linear) over {@code n} floats. */
    static OnePrimitive.Key linearKey(long n, float alpha, float beta) {
        return new OnePrimitive.Key("test_linear", List.of(n, alpha, beta), DNNL_ARG_SRC(), DNNL_ARG_DST());
    }

    static OnePrimitive linear(PrimitiveCache cache, long n, float alpha, float beta) {
        return cache.primitive(linearKey(n, alpha, beta), (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), n);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_eltwise_forward_primitive_desc_create", dnnl_eltwise_forward_primitive_desc_create(
                        ptr, engine, dnnl_forward_inference(), dnnl_eltwise_linear(), md, md, alpha, beta, attr));
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
    }

    /** {@code dst = src0 + src1} over {@code n} floats: a three-argument primitive. */
    static OnePrimitive add(PrimitiveCache cache, long n) {
        OnePrimitive.Key key = new OnePrimitive.Key("test_add", List.of(n), DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST());
        return cache.primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), n);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_binary_primitive_desc_create",
                        dnnl_binary_primitive_desc_create(ptr, engine, dnnl_binary_add(), md, md, md, attr));
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
    }

    /** Runs the GC until {@code done} holds (or 20 s pass). */
    static boolean gcUntil(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            System.gc();
            Thread.sleep(20);
        }
        return true;
    }

    enum Op { LOG_SOFTMAX, SOFTMAX, LOG_SOFTMAX_BACKWARD }

    /** One op of the mixed workload on {@code [outer, n, inner]} inputs {@code x} (and {@code g}), into a new tensor. */
    static float[] apply(OneDnnSoftmaxOps ops, Op op, Arena arena, Tensor x, Tensor y, Tensor g, long[] s) {
        Tensor out = Tensor.zeros(arena, DType.F32, s);
        switch (op) {
            case LOG_SOFTMAX -> ops.logSoftmax(x, s[0], s[1], s[2], out);
            case SOFTMAX -> ops.softmax(x, s[0], s[1], s[2], out);
            case LOG_SOFTMAX_BACKWARD -> ops.logSoftmaxBackward(g, y, s[0], s[1], s[2], out);
        }
        return floats(out);
    }

    // ------------------------------------------------------------------ cache

    @Test
    void aRepeatedCallWithTheSameShapesCreatesNoPrimitive() {
        PrimitiveCache cache = rt.newCache(16);
        OneDnnSoftmaxOps ops = new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true, cache);
        long[] s = {3, 11, 5};
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, 1, s);
            Tensor y = Tensor.zeros(arena, DType.F32, s);
            Tensor expected = Tensor.zeros(arena, DType.F32, s);
            JavaBackend.INSTANCE.softmax().logSoftmax(x, s[0], s[1], s[2], expected);

            long global = rt.primitivesCreated();
            ops.logSoftmax(x, s[0], s[1], s[2], y);
            assertEquals(1, cache.created());
            assertEquals(global + 1, rt.primitivesCreated());
            for (int i = 0; i < 100; i++) {
                Tensor x2 = random(arena, 100 + i, s); // new tensors, same shapes
                ops.logSoftmax(x2, s[0], s[1], s[2], Tensor.zeros(arena, DType.F32, s));
            }
            ops.logSoftmax(x, s[0], s[1], s[2], y);
            assertEquals(1, cache.created(), "repeated forward calls created primitives");
            assertEquals(global + 1, rt.primitivesCreated());
            for (long i = 0; i < x.numel(); i++) { // the JIT's exp/log: not the vector tolerance (see BRIEF-ONEDNN)
                assertEquals(expected.getDouble(i), y.getDouble(i), 1e-5, "element " + i);
            }

            Tensor g = random(arena, 2, s);
            for (int i = 0; i < 50; i++) ops.logSoftmaxBackward(g, y, s[0], s[1], s[2], Tensor.zeros(arena, DType.F32, s));
            ops.softmax(x, s[0], s[1], s[2], Tensor.zeros(arena, DType.F32, s));
            ops.softmax(x, s[0], s[1], s[2], Tensor.zeros(arena, DType.F32, s));
            assertEquals(3, cache.created(), "log-softmax forward, its backward, softmax forward: one each");
            assertEquals(3, cache.size());
            assertEquals(0, cache.transientCreated());
            assertEquals(global + 3, rt.primitivesCreated());
        }
    }

    @Test
    void theCacheBoundMakesPrimitivesTransientCorrectAndLeakFree() throws InterruptedException {
        assertEquals(Integer.parseInt(org.loss4j.internal.Config.ONEDNN_CACHE.get()), rt.cache().capacity());
        PrimitiveCache small = rt.newCache(2);
        PrimitiveCache big = rt.newCache(64);
        OneDnnSoftmaxOps bounded = new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true, small);
        OneDnnSoftmaxOps unbounded = new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true, big);
        long[][] shapes = {{2, 3, 4}, {1, 7, 1}, {5, 13, 2}, {1, 1, 1}, {4, 100, 3}, {3, 2, 9}};
        try (Arena arena = Arena.ofConfined()) {
            Tensor[] xs = new Tensor[shapes.length];
            float[][] expected = new float[shapes.length][];
            for (int k = 0; k < shapes.length; k++) {
                xs[k] = random(arena, 10 + k, shapes[k]);
                expected[k] = apply(unbounded, Op.LOG_SOFTMAX, arena, xs[k], null, null, shapes[k]);
            }
            long memCreated0 = rt.memoriesCreated(), memDestroyed0 = rt.memoriesDestroyed();
            long primCreated0 = rt.primitivesCreated(), primDestroyed0 = rt.primitivesDestroyed();
            for (int round = 0; round < 3; round++) {
                for (int k = 0; k < shapes.length; k++) {
                    assertArrayEquals(expected[k], apply(bounded, Op.LOG_SOFTMAX, arena, xs[k], null, null, shapes[k]),
                            "shape " + java.util.Arrays.toString(shapes[k]) + " round " + round);
                }
            }
            assertEquals(2, small.size(), "the cache holds its capacity");
            assertEquals(2, small.created());
            assertEquals(3 * (shapes.length - 2), small.transientCreated(), "the other shapes: one primitive per call");
            assertEquals(small.transientCreated(), small.destroyed(), "each transient primitive destroyed after its call");
            assertEquals(2, (rt.primitivesCreated() - primCreated0) - (rt.primitivesDestroyed() - primDestroyed0),
                    "alive afterwards: the two cached primitives only");
            long keptMemories = (rt.memoriesCreated() - memCreated0) - (rt.memoriesDestroyed() - memDestroyed0);
            assertTrue(keptMemories >= 4 && keptMemories <= 6, "this thread keeps 2-3 memory objects per cached primitive, got " + keptMemories);

            // More transient calls: everything they create is destroyed.
            long mc = rt.memoriesCreated(), md = rt.memoriesDestroyed();
            for (int k = 2; k < shapes.length; k++) apply(bounded, Op.LOG_SOFTMAX, arena, xs[k], null, null, shapes[k]);
            assertEquals(rt.memoriesCreated() - mc, rt.memoriesDestroyed() - md, "transient memory objects destroyed");
            assertEquals(small.transientCreated(), small.destroyed());

            // A transient primitive runs once: a second run is refused (no use-after-free); a failed run destroys it too.
            OnePrimitive t = linear(small, 8, 2f, 1f);
            assertTrue(t.isTransient());
            MemorySegment a = arena.allocate(32), b = arena.allocate(32);
            ExecutionContext.current().run(t, a, b);
            assertThrows(IllegalStateException.class, () -> ExecutionContext.current().run(t, a, b));
            long destroyed = small.destroyed();
            OnePrimitive bad = linear(small, 8, 2f, 1f);
            assertThrows(IllegalArgumentException.class, () -> ExecutionContext.current().run(bad, a, arena.allocate(31)));
            assertEquals(destroyed + 1, small.destroyed(), "destroyed after a failed call");

            // One that is never run (its caller failed before) is freed by the Cleaner once unreachable.
            long before = small.destroyed();
            linear(small, 8, 3f, 0f);
            assertTrue(gcUntil(() -> small.destroyed() == before + 1), "an unused transient primitive is freed");
            assertEquals(small.transientCreated(), small.destroyed());
        }
    }

    // ------------------------------------------------------------------ threads

    @Test
    void eightThreadsOnSharedPrimitivesMatchTheSingleThreadedResults() throws Exception {
        OneDnnSoftmaxOps ops = new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true, rt.cache());
        long[][] shapes = {{1, 1, 1}, {2, 7, 3}, {4, 13, 1}, {1, 1000, 1}, {5, 3, 17}, {8, 64, 2}, {3, 1, 4}};
        Op[] opsList = Op.values();
        Arena shared = Arena.ofShared();
        try {
            Tensor[] xs = new Tensor[shapes.length], ys = new Tensor[shapes.length], gs = new Tensor[shapes.length];
            float[][][] expected = new float[shapes.length][opsList.length][];
            for (int k = 0; k < shapes.length; k++) {
                long[] s = shapes[k];
                xs[k] = random(shared, 20 + k, s);
                gs[k] = random(shared, 40 + k, s);
                ys[k] = Tensor.zeros(shared, DType.F32, s);
                ops.logSoftmax(xs[k], s[0], s[1], s[2], ys[k]);
                for (Op op : opsList) expected[k][op.ordinal()] = apply(ops, op, shared, xs[k], ys[k], gs[k], s);
            }
            long created = rt.primitivesCreated();
            int threads = 8, calls = 2000;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<long[]>> results = new ArrayList<>();
            List<ExecutionContext.NativeHandles> handles = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    ExecutionContext ctx = ExecutionContext.current();
                    handles.add(ctx.nativeHandles());
                    start.await(); // all alive at once: distinct streams must have distinct addresses
                    Random r = new Random(seed);
                    long mismatches = 0;
                    try (Arena arena = Arena.ofConfined()) {
                        for (int i = 0; i < calls; i++) {
                            int k = r.nextInt(shapes.length);
                            Op op = opsList[r.nextInt(opsList.length)];
                            float[] got = apply(ops, op, arena, xs[k], ys[k], gs[k], shapes[k]);
                            if (!java.util.Arrays.equals(expected[k][op.ordinal()], got)) mismatches++;
                        }
                    }
                    assertEquals(ctx.streamAddress(), ExecutionContext.current().streamAddress(), "one stream per thread, kept");
                    return new long[] {ctx.streamAddress(), mismatches};
                }));
            }
            Set<Long> streams = new HashSet<>();
            for (Future<long[]> f : results) {
                long[] r = f.get(5, TimeUnit.MINUTES);
                assertEquals(0, r[1], "results differing from the single-threaded ones");
                streams.add(r[0]);
            }
            assertEquals(threads, streams.size(), "each thread has its own stream");
            assertFalse(streams.contains(ExecutionContext.current().streamAddress()));
            assertEquals(created, rt.primitivesCreated(), "the threads shared the cached primitives");

            pool.shutdown();
            assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
            assertEquals(threads, handles.size());
            assertTrue(gcUntil(() -> handles.stream().allMatch(h -> h.destructions() == 1)),
                    "every ended thread's stream and memory objects are destroyed");
            for (ExecutionContext.NativeHandles h : handles) {
                assertTrue(h.streamDestroyed());
                assertEquals(h.memories(), h.memoriesDestroyed());
            }
        } finally {
            shared.close();
        }
    }

    @Test
    void nativeHandlesAreDestroyedOnceAndOnlyAfterTheirThreadEnds() throws Exception {
        OneDnnSoftmaxOps ops = new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true, rt.cache());
        long[] s = {2, 5, 3};
        AtomicReference<ExecutionContext.NativeHandles> handles = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1), again = new CountDownLatch(1), ranAgain = new CountDownLatch(1);
        long[] streams = new long[2];
        Thread t = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = random(arena, 5, s);
                float[] first = apply(ops, Op.SOFTMAX, arena, x, null, null, s);
                streams[0] = ExecutionContext.current().streamAddress();
                handles.set(ExecutionContext.current().nativeHandles());
                ran.countDown();
                again.await(); // meanwhile the main thread runs the GC
                assertArrayEquals(first, apply(ops, Op.SOFTMAX, arena, x, null, null, s), "the handles survived the GC");
                streams[1] = ExecutionContext.current().streamAddress();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                ranAgain.countDown();
            }
        }, "onednn-lifecycle");
        t.start();
        assertTrue(ran.await(1, TimeUnit.MINUTES));
        ExecutionContext.NativeHandles h = handles.get();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, h.destructions(), "the Cleaner must not run while the thread lives");
        assertFalse(h.streamDestroyed());
        again.countDown();
        assertTrue(ranAgain.await(1, TimeUnit.MINUTES));
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertEquals(streams[0], streams[1], "the same stream throughout the thread's life");
        assertTrue(h.memories() >= 2, "memory objects for the primitive's arguments");

        assertTrue(gcUntil(() -> h.destructions() > 0), "the Cleaner destroys the handles after the thread ended");
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, h.destructions(), "destroyed exactly once");
        assertTrue(h.streamDestroyed());
        assertEquals(h.memories(), h.memoriesDestroyed());
    }

    // ------------------------------------------------------------------ allocation

    @Test
    void theSteadyStateAllocatesNoJavaHeapPerCall() {
        // com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes, reflectively: the test sources compile inside
        // the org.loss4j module, which does not read jdk.management (the tests run on the class path).
        java.util.function.LongSupplier allocatedBytes;
        try {
            Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            assumeTrue((Boolean) bean.getMethod("isThreadAllocatedMemoryEnabled").invoke(mx),
                    "per-thread allocation counting is off in this JVM");
            java.lang.reflect.Method m = bean.getMethod("getCurrentThreadAllocatedBytes");
            allocatedBytes = () -> {
                try {
                    return (Long) m.invoke(mx);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            };
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        PrimitiveCache cache = rt.newCache(8);
        OnePrimitive two = linear(cache, 64, 0.5f, 1f);
        OnePrimitive three = add(cache, 64);
        OnePrimitive softmax3 = cache.primitive( // a primitive with a scratchpad (softmax over a long row)
                new OnePrimitive.Key("test_softmax", List.of(4L, 4096L), DNNL_ARG_SRC(), DNNL_ARG_DST()),
                (engine, attr, arena) -> {
                    MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), 4, 4096);
                    try {
                        MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                        OneDnn.check("dnnl_softmax_forward_primitive_desc_create", dnnl_softmax_forward_primitive_desc_create(
                                ptr, engine, dnnl_forward_inference(), dnnl_softmax_accurate(), md, md, 1, attr));
                        return ptr.get(ValueLayout.ADDRESS, 0);
                    } finally {
                        dnnl_memory_desc_destroy(md);
                    }
                });
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(256, 64), b = arena.allocate(256, 64), c = arena.allocate(256, 64);
            MemorySegment big = arena.allocate(4 * 4096 * 4, 64), bigOut = arena.allocate(4 * 4096 * 4, 64);
            for (int i = 0; i < 64; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 2 * i);
            }
            ExecutionContext ctx = ExecutionContext.current();
            for (int i = 0; i < 30_000; i++) { // JIT warm-up, memory objects created
                ctx.run(two, a, c);
                ctx.run(three, a, b, c);
                ctx.run(softmax3, big, bigOut);
            }
            for (int i = 0; i < 100; i++) allocatedBytes.getAsLong(); // the measurement's own cost: settled
            long allocated = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 3 && allocated >= 4096; attempt++) { // a JIT event in the window: again
                long before = allocatedBytes.getAsLong();
                for (int i = 0; i < 10_000; i++) {
                    ctx.run(two, a, c);
                    ctx.run(three, a, b, c);
                    ctx.run(softmax3, big, bigOut);
                }
                allocated = allocatedBytes.getAsLong() - before;
            }
            assertTrue(allocated < 4096, "30,000 steady-state calls allocated " + allocated + " bytes");
            for (int i = 0; i < 64; i++) assertEquals(3f * i, c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badBuffersAreRefusedBeforeAnyNativeCall() throws Exception {
        PrimitiveCache cache = rt.newCache(4);
        OnePrimitive p = linear(cache, 24, 1f, 0f); // never run before: its memory objects are the first native calls
        ExecutionContext ctx = ExecutionContext.current();
        long memories = rt.memoriesCreated();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ok = arena.allocate(96);
            MemorySegment okOut = arena.allocate(96);

            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> ctx.run(p, MemorySegment.ofArray(new float[24]), okOut));
            assertTrue(heap.getMessage().contains("heap memory") && heap.getMessage().contains("argument 0"), heap.getMessage());

            Arena closedArena = Arena.ofConfined();
            MemorySegment closed = closedArena.allocate(96);
            closedArena.close();
            IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> ctx.run(p, ok, closed));
            assertTrue(c.getMessage().contains("closed") && c.getMessage().contains("argument 1"), c.getMessage());

            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> ctx.run(p, ok, arena.allocate(95)));
            assertTrue(small.getMessage().contains("needs 96 bytes") && small.getMessage().contains("95 bytes"), small.getMessage());

            IllegalArgumentException ro = assertThrows(IllegalArgumentException.class, () -> ctx.run(p, ok, okOut.asReadOnly()));
            assertTrue(ro.getMessage().contains("read-only"), ro.getMessage());

            AtomicReference<MemorySegment> foreign = new AtomicReference<>();
            CountDownLatch allocated = new CountDownLatch(1), done = new CountDownLatch(1);
            Thread owner = new Thread(() -> {
                try (Arena confined = Arena.ofConfined()) {
                    foreign.set(confined.allocate(96));
                    allocated.countDown();
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            owner.start();
            allocated.await();
            try {
                IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> ctx.run(p, foreign.get(), okOut));
                assertTrue(other.getMessage().contains("confined to another thread"), other.getMessage());
            } finally {
                done.countDown();
                owner.join();
            }

            assertThrows(IllegalArgumentException.class, () -> ctx.run(p, ok));
            assertThrows(IllegalArgumentException.class, () -> ctx.run(p, ok, okOut, arena.allocate(96)));
            assertThrows(IllegalArgumentException.class, () -> ctx.run(p, ok, null));
            assertThrows(IllegalArgumentException.class, () -> ctx.run(p, new MemorySegment[] {ok}));

            assertEquals(memories, rt.memoriesCreated(), "no native call was made for a bad buffer");

            // A read-only source is fine; the primitive then works.
            ok.fill((byte) 0);
            ctx.run(p, ok.asReadOnly(), okOut);
            ctx.run(p, new MemorySegment[] {ok, okOut}); // the varargs form too
        }
    }

    @Test
    void nativeFailuresBecomeOneDnnExceptionsNamingTheFunctionAndStatus() {
        PrimitiveCache cache = rt.newCache(4);
        long created = rt.primitivesCreated();
        OnePrimitive.Key key = new OnePrimitive.Key("test_mismatch", List.of(), DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST());
        OneDnnException e = assertThrows(OneDnnException.class, () -> cache.primitive(key, (engine, attr, arena) -> {
            MemorySegment src0 = ExecutionContext.rowMajor(arena, dnnl_f32(), 2, 3);
            MemorySegment src1 = ExecutionContext.rowMajor(arena, dnnl_f32(), 5, 7); // neither equal nor broadcastable
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_binary_primitive_desc_create", dnnl_binary_primitive_desc_create(
                        ptr, engine, dnnl_binary_add(), src0, src1, src0, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(src0);
                dnnl_memory_desc_destroy(src1);
            }
        }));
        assertEquals("dnnl_binary_primitive_desc_create", e.function());
        assertEquals(dnnl_invalid_arguments(), e.status());
        assertTrue(e.getMessage().contains("dnnl_binary_primitive_desc_create failed: dnnl_invalid_arguments"), e.getMessage());
        assertTrue(e.getMessage().contains("test_mismatch"), e.getMessage());
        assertEquals(0, cache.size(), "nothing cached for a failed key");
        assertEquals(0, cache.created());
        assertEquals(created, rt.primitivesCreated());

        // A bad md helper call (more than DNNL_MAX_NDIMS = 12 dimensions) fails in oneDNN, named too.
        try (Arena arena = Arena.ofConfined()) {
            long[] dims = new long[13];
            java.util.Arrays.fill(dims, 1);
            OneDnnException md = assertThrows(OneDnnException.class, () -> ExecutionContext.rowMajor(arena, dnnl_f32(), dims));
            assertEquals("dnnl_memory_desc_create_with_strides", md.function());
            assertTrue(md.getMessage().contains("dnnl_invalid_arguments") && md.getMessage().contains("[1, 1, 1"), md.getMessage());
        }

        // A key naming an argument the primitive does not have is refused (else its buffer would go unchecked).
        OnePrimitive.Key wrongArgs = new OnePrimitive.Key("test_linear_weights", List.of(8L), DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> cache.primitive(wrongArgs,
                (engine, attr, arena) -> {
                    MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), 8);
                    try {
                        MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                        OneDnn.check("dnnl_eltwise_forward_primitive_desc_create", dnnl_eltwise_forward_primitive_desc_create(
                                ptr, engine, dnnl_forward_inference(), dnnl_eltwise_abs(), md, md, 0f, 0f, attr));
                        return ptr.get(ValueLayout.ADDRESS, 0);
                    } finally {
                        dnnl_memory_desc_destroy(md);
                    }
                }));
        assertTrue(w.getMessage().contains("has no argument " + DNNL_ARG_WEIGHTS()), w.getMessage());
        assertEquals(0, cache.size());

        assertEquals("unknown dnnl_status_t", OneDnn.statusName(12345));
    }

    // ------------------------------------------------------------------ explain and info

    @Test
    void explainNamesWhoServesEachGroupAndWhy() {
        Backend onednn = Backends.get("onednn");
        String f64 = "java (oneDNN's CPU engine has no float64 kernels)";

        Tensor a32 = Tensor.of(new float[] {1, 2, 3}), b32 = Tensor.of(new float[] {1, 0, 3});
        String mse32 = MSELoss.create().on(onednn).explain(a32, b32);
        assertTrue(mse32.startsWith("MSELoss (reduction=mean) on onednn:"), mse32);
        assertTrue(mse32.matches(".*pointwise=(onednn|java \\(.+\\)).*"), "f32: oneDNN, or Java with the reason: " + mse32);
        String mse64 = MSELoss.create().on(onednn).explain(Tensor.of(new double[] {1, 2}), Tensor.of(new double[] {0, 2}));
        assertTrue(mse64.contains("pointwise=" + f64), mse64);

        Tensor logits32 = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor target = Tensor.of(new long[] {0, 2});
        String ce32 = CrossEntropyLoss.create().on(onednn).explain(logits32, target);
        assertTrue(ce32.contains("softmax=java (oneDNN's softmax approximates exp/log beyond loss4j's float32 tolerance"), ce32);
        String ce64 = CrossEntropyLoss.create().on(onednn).explain(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3), target);
        assertTrue(ce64.contains("softmax=" + f64), ce64);
        assertEquals("onednn (softmax primitives, fast exp/log approximations; class picks: java)",
                new OneDnnSoftmaxOps(JavaBackend.INSTANCE.softmax(), true).servedBy());

        Tensor logProbs = Tensor.zeros(DType.F32, 4, 1, 3);
        Tensor targets = Tensor.of(new long[] {1, 2}, 1, 2);
        Tensor inLen = Tensor.of(new long[] {4}), tgtLen = Tensor.of(new long[] {2});
        String ctc = CTCLoss.create().on(onednn).explain(logProbs, targets, inLen, tgtLen);
        assertTrue(ctc.contains("ctc=java (oneDNN has no CTC primitive)"), ctc);
        Tensor logProbs64 = Tensor.zeros(DType.F64, 4, 1, 3);
        assertTrue(CTCLoss.create().on(onednn).explain(logProbs64, targets, inLen, tgtLen).contains("ctc=java (oneDNN has no CTC primitive)"));

        assertEquals("java (oneDNN has no margin or distance primitive)", ((org.loss4j.internal.ops.Ops) onednn).servedBy("margin"));
    }

    @Test
    void infoPrintsTheOneDnnVersionRuntimeIsaAndOrigin() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, org.loss4j.cli.Main.run("info"));
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("oneDNN " + rt.version()), out);
        assertTrue(out.contains(rt.cpuRuntime() + " CPU runtime"), out);
        assertTrue(out.contains("effective ISA " + rt.isa()), out);
        assertTrue(out.contains("natives from " + rt.loadedFrom()), out);
        assertTrue(rt.loadedFrom().contains("libdnnl.so.3"), rt.loadedFrom());
        assertNotEquals("", rt.isa());
        assertTrue(out.contains("cpu_runtime:") && out.contains("natives:"), out);
    }
}

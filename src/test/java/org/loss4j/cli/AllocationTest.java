package org.loss4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;

/**
 * Issue 5's allocation target for EVERY loss: in steady state, a loss with reduction mean/sum called through
 * {@code forwardInto}/{@code forwardBackwardInto} into caller tensors (native memory, arguments built once by the
 * caller) allocates nothing on the Java heap, on the Java backend and on oneDNN, at a small and a medium size, and
 * at sizes that split the work over threads (the workers' allocations count too).
 *
 * <p>Inputs are the {@code bench} command's workloads ({@link BenchWorkload}: the same data as the JMH project).
 * Bytes come from HotSpot's per-thread allocation counters ({@code com.sun.management.ThreadMXBean}) of the calling
 * thread and of every loss4j / fork-join worker thread. Reading a counter allocates nothing (checked by
 * {@link #counterAllocatesNothing()}), so there is no slack: the assertion is exactly 0 bytes per call.
 *
 * <p>Each case warms up (C2 must have compiled the kernels: the interpreter and C1 box vectors and iterators), then
 * takes the best of several measured rounds; a round that allocates warms up a little more before the next one.
 * Run alone with {@code mvn -q -B test -Dtest=AllocationTest}; the table of bytes per call goes to stdout.
 */
class AllocationTest {

    /**
     * Losses left out of the strict assertion, with the reason (measured and printed all the same): keyed by loss
     * name, or {@code backend:loss} for one backend.
     */
    private static final Map<String, String> EXEMPT = exemptions();

    private static Map<String, String> exemptions() {
        Map<String, String> m = new java.util.HashMap<>();
        String chains = "oneDNN op layer: PointwiseChain / OnePrimitive.Key objects, capturing factories, varargs buffers and "
                + "per-call float[] and native segments (OneDnnPointwiseOps.Chains) are built on every call; needs interned "
                + "chains with a per-chain primitive memo and per-thread lookup keys (not done yet)";
        for (String l : List.of("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "MarginRankingLoss", "HingeEmbeddingLoss")) {
            m.put("onednn:" + l, chains);
        }
        String vector = "vector objects and arrays in VectorRowKernels.expSumF32/maxF32/scaleAddF32 and VectorCtcItem (vector "
                + "ops C2 does not intrinsify here, e.g. masked tails and EXP, are boxed): the code the vector-exp replacement "
                + "(VectorMath) rewrites";
        // CrossEntropyLoss: strict (0 B since its exp-sum loops write VectorMath's exp out, see VectorRowKernels)
        m.put("CTCLoss", vector + "; the CTC call itself (job, offsets, counter) is reused per thread");
        m.put("AdaptiveLogSoftmaxWithLoss", "per-call double[] in JavaLinearOps.linear/matmul, cluster index lists and "
                + "scratch tensors in AdaptiveLogSoftmaxWithLoss.compute, plus the vector kernels above (not done yet)");
        String small = "small per-call objects in the loss's compute (records of views, Tensor[] operand arrays, term objects, "
                + "shape arrays); not converted yet";
        for (String l : List.of("CosineEmbeddingLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "TripletMarginLoss",
                "TripletMarginWithDistanceLoss")) {
            m.put(l, small);
        }
        return Map.copyOf(m);
    }

    private static String exemption(String loss, Backend backend, String size) {
        String r = EXEMPT.get(size + ":" + loss);
        if (r == null) r = EXEMPT.get(backend.name() + ":" + loss);
        return r != null ? r : EXEMPT.get(loss);
    }

    private static final List<String> REDUCTIONS = List.of("mean", "sum");

    /**
     * Bytes per call a strict case may show: 0 ({@code -Dloss4j.test.allocationLimit=N} loosens it for an
     * investigation). This was 1 KiB for a while, because one run in three left MSE/L1/Huber/SmoothL1 at 128-352 B per
     * call (and CI once saw every pointwise forward+backward at 16 B per element): helpers that took or returned
     * vectors, which C2 refused to inline once C1 had compiled them big ({@code InlineSmallCode}), so it boxed their
     * vectors. Those helpers are gone, {@code KernelShapeTest} keeps them out, and the {@code allocation-jit-stress}
     * execution runs this test with a tiny {@code InlineSmallCode} to prove it.
     */
    private static final double LIMIT = Long.getLong("loss4j.test.allocationLimit", 0);

    /** A medium size per loss: a realistic training batch that still stays on the caller's thread. */
    private static long[] medium(String loss) {
        if (loss.equals("KLDivLoss")) return new long[] {16, 1000};
        if (BenchWorkload.POINTWISE.contains(loss)) return new long[] {20_000};
        if (BenchWorkload.CLASS.contains(loss)) return new long[] {64, 1000};
        if (BenchWorkload.EMBEDDING.contains(loss)) return new long[] {64, 256};
        if (loss.equals("CTCLoss")) return new long[] {100, 8, 30, 30};
        return new long[] {64, 64, 2000, 200, 1000};
    }

    /** Sizes above the thresholds at which the Java kernels split a call over threads (pointwise, softmax rows, CTC). */
    private static final List<String> PARALLEL = List.of("MSELoss=300000", "BCEWithLogitsLoss=300000",
            "GaussianNLLLoss=300000", "KLDivLoss=64,5000", "CrossEntropyLoss=16,10000", "NLLLoss=16,10000",
            "CTCLoss=100,16,30,40");

    private static Arena arena;
    private static Backend onednn;

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
        onednn = Backends.all().stream().filter(b -> b.name().equals("onednn")).findFirst().orElse(null);
    }

    @AfterAll
    static void tearDown() {
        arena.close();
    }

    // ------------------------------------------------------------------ allocation counters

    private static final Object BEAN;
    private static final MethodHandle CURRENT;
    private static final MethodHandle BY_ID;

    static {
        // reflective: the test classes compile inside the module, which does not read java.management
        try {
            BEAN = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> sun = Class.forName("com.sun.management.ThreadMXBean");
            CURRENT = MethodHandles.publicLookup().unreflect(sun.getMethod("getCurrentThreadAllocatedBytes"))
                    .asType(MethodType.methodType(long.class, Object.class));
            BY_ID = MethodHandles.publicLookup().unreflect(sun.getMethod("getThreadAllocatedBytes", long.class))
                    .asType(MethodType.methodType(long.class, Object.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Ids of the threads that may run loss4j work besides the caller: its pool and the fork-join pools. */
    private static long[] workers() {
        List<Long> ids = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (t != Thread.currentThread() && (n.startsWith("loss4j") || n.contains("ForkJoinPool"))) ids.add(t.threadId());
        }
        long[] a = new long[ids.size()];
        for (int i = 0; i < a.length; i++) a[i] = ids.get(i);
        return a;
    }

    /** Bytes allocated so far by the calling thread and the given worker threads (0 for one that has died). */
    private static long allocated(long[] workers) {
        try {
            long sum = (long) CURRENT.invokeExact(BEAN);
            for (long id : workers) sum += Math.max(0, (long) BY_ID.invokeExact(BEAN, id));
            return sum;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ cases

    private record Case(String label, Loss loss, Tensor[] args, Tensor out, Tensor[] grads, String why) {
        boolean strict() {
            return why == null;
        }
    }

    private static Case build(BenchWorkload w, String reduction, Backend backend, DType dt, String size) {
        Loss loss = w.createLoss(reduction).on(backend);
        Tensor[] args = w.allocate(arena, dt);
        Tensor[] grads = new Tensor[args.length];
        List<String> names = loss.argumentNames();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].dtype().isFloating() || !loss.differentiableArguments().contains(names.get(i))) continue;
            grads[i] = Tensor.zeros(arena, args[i].dtype(), args[i].shape());
        }
        Tensor out = Tensor.zeros(arena, dt);
        String label = String.format(Locale.ROOT, "%-30s %-7s %-4s %-6s %-8s %s", w.loss, backend.name(), reduction,
                dt.torchName().replace("float", "f"), size, w.shapeText);
        return new Case(label, loss, args, out, grads, exemption(w.loss, backend, size));
    }

    private static List<Case> cases(List<Backend> backends) {
        List<Case> cases = new ArrayList<>();
        for (String name : Losses.NAMES) {
            List<String> reductions = name.equals("AdaptiveLogSoftmaxWithLoss") ? List.of("mean") : REDUCTIONS;
            for (Backend b : backends) {
                for (String red : reductions) {
                    cases.add(build(BenchWorkload.of(name, BenchWorkload.sizeDims(name, "small")), red, b, DType.F32, "small"));
                    cases.add(build(BenchWorkload.of(name, medium(name)), red, b, DType.F32, "medium"));
                }
            }
        }
        for (String spec : PARALLEL) {
            for (Backend b : backends) {
                BenchWorkload w = BenchWorkload.parse(spec, null, null);
                cases.add(build(w, "mean", b, DType.F32, "parallel"));
            }
        }
        return cases;
    }

    /** forwardInto and forwardBackwardInto, in bytes per call (the best round), and the time per call. */
    private record Result(double forward, double fused, double micros) {}

    private static Result measure(Case c) {
        Loss loss = c.loss;
        Tensor out = c.out;
        Tensor[] grads = c.grads;
        Tensor[] args = c.args;
        // warm-up: at least 200 calls of each kind, up to 2000 or ~0.25 s (the kernels are shared between cases)
        long t0 = System.nanoTime();
        int warm = 0;
        while (warm < 200 || (warm < 2000 && System.nanoTime() - t0 < 250_000_000L)) {
            loss.forwardInto(out, args);
            loss.forwardBackwardInto(out, grads, null, args);
            warm++;
        }
        double micros = (System.nanoTime() - t0) / 1e3 / warm;
        int calls = (int) Math.max(20, Math.min(500, 30_000 / Math.max(1, micros)));
        long[] workers = workers();
        long forward = Long.MAX_VALUE;
        long fused = Long.MAX_VALUE;
        int rounds = c.strict() ? 30 : 1; // an exempt case is measured once, for the table
        for (int round = 0; round < rounds && (forward > 0 || fused > 0); round++) {
            if (round > 0) {
                // C2's queue can be long while the rest of the suite runs: ~0.1 s more warm-up, and a moment for it
                long w0 = System.nanoTime();
                for (int i = 0; i < 4 * calls || System.nanoTime() - w0 < 100_000_000L; i++) {
                    loss.forwardInto(out, args);
                    loss.forwardBackwardInto(out, grads, null, args);
                }
                pause(20);
                workers = workers();
            }
            long before = allocated(workers);
            for (int i = 0; i < calls; i++) loss.forwardInto(out, args);
            long mid = allocated(workers);
            for (int i = 0; i < calls; i++) loss.forwardBackwardInto(out, grads, null, args);
            long after = allocated(workers);
            forward = Math.min(forward, mid - before);
            fused = Math.min(fused, after - mid);
        }
        return new Result((double) forward / calls, (double) fused / calls, micros);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String run(List<Backend> backends) {
        StringBuilder failures = new StringBuilder();
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-30s %-7s %-4s %-6s %-8s %-22s %12s %12s %10s%n",
                "loss", "backend", "red", "dtype", "size", "shape", "fwd B/call", "f+b B/call", "us/call"));
        long t0 = System.nanoTime();
        List<Case> again = new ArrayList<>();
        for (Case c : cases(backends)) {
            Result r = measure(c);
            String line = String.format(Locale.ROOT, "%-75s %12.1f %12.1f %10.1f", c.label, r.forward, r.fused, r.micros);
            table.append(line).append(c.strict() ? "" : "  (exempt: " + c.why + ")").append('\n');
            if (c.strict() && (r.forward > LIMIT || r.fused > LIMIT)) again.add(c);
        }
        // The first cases run while C2 is still compiling the shared kernels (on a loaded machine for seconds: until
        // then vectors are boxed); a case that allocated is measured again once every other case has run.
        for (Case c : again) {
            Result r = measure(c);
            String line = String.format(Locale.ROOT, "%-75s %12.1f %12.1f %10.1f", c.label, r.forward, r.fused, r.micros);
            table.append("again: ").append(line).append('\n');
            if (r.forward > LIMIT || r.fused > LIMIT) failures.append("\n  ").append(line);
        }
        String xx = ProcessHandle.current().info().arguments().map(a -> java.util.Arrays.stream(a)
                .filter(o -> o.startsWith("-XX:")).toList().toString()).orElse("unknown");
        table.append(String.format(Locale.ROOT, "(%.1f s; -XX options: %s)%n", (System.nanoTime() - t0) / 1e9, xx));
        System.out.print(table);
        return failures.toString();
    }

    @Test
    void counterAllocatesNothing() {
        long[] workers = workers();
        for (int i = 0; i < 20_000; i++) allocated(workers); // compiled
        // up to five rounds: an idle fork-join worker that retires between the reads makes one round's sum drop
        long diff = 0;
        for (int round = 0; round < 5; round++) {
            workers = workers();
            long before = allocated(workers);
            for (int i = 0; i < 1000; i++) allocated(workers);
            long after = allocated(workers);
            diff = after - before;
            if (diff == 0) break;
        }
        assertTrue(diff == 0, "reading the allocation counters allocated " + diff + " bytes in 1000 reads");
    }

    @Test
    void everyLossAllocatesNothingPerCallIntoCallerTensors() {
        List<Backend> backends = new ArrayList<>();
        backends.add(Backends.java());
        if (onednn != null && onednn.isAvailable()) backends.add(onednn);
        else System.out.println("AllocationTest: oneDNN not available (" + (onednn == null ? "no backend" : onednn.unavailableReason()) + ")");
        String f = run(backends);
        assertTrue(f.isEmpty(), "bytes allocated per call in steady state (must be <= " + LIMIT + "):" + f);
    }
}

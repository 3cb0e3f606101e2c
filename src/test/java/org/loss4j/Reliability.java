package org.loss4j;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.loss4j.internal.nativelib.NativeLeaks;
import org.loss4j.internal.onednn.OneDnnRuntime;
import org.loss4j.internal.workspace.Workspace;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * The reliability harness (issue 6, items 2-5): concurrency stress, soak with memory figures, leak check after the
 * oneDNN runtime closes, and native-library faults. {@link ReliabilityTest} runs short versions (most in forked JVMs,
 * since the oneDNN runtime is process-wide); the full runs are a {@code main} on the test class path:
 *
 * <pre>
 *   java -cp target/classes:target/test-classes:$(cat target/test-cp.txt) ... org.loss4j.Reliability stress 8 100000
 *   java -XX:NativeMemoryTracking=summary ... org.loss4j.Reliability soak 10000000
 * </pre>
 *
 * (README "Reliability" gives the exact commands.) Every mode prints its figures and exits 0, or prints the failure
 * and exits 1.
 */
public final class Reliability {

    private Reliability() {}

    /** One call: a loss object shared by every thread, its arguments, the gradient of the output, the reference. */
    record Item(String label, Loss loss, Tensor[] args, Tensor gradOut, byte[][] expected, boolean onednn) {}

    /** Bit-exact bytes of the loss (index 0) and every gradient in a stable order. */
    static byte[][] bytes(LossResult r, boolean withGrads) {
        List<byte[]> out = new ArrayList<>();
        out.add(r.loss().segment().toArray(ValueLayout.JAVA_BYTE));
        if (withGrads) {
            for (var e : new java.util.TreeMap<>(r.gradients()).entrySet()) {
                out.add(e.getValue().segment().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return out.toArray(byte[][]::new);
    }

    /** CPU backends present (java, and onednn where it loads). */
    static List<Backend> cpuBackends() {
        return Backends.available().stream().filter(b -> b.device() == Device.CPU).toList();
    }

    /**
     * Calls over every loss, every CPU backend, float32 and float64, reductions mean/sum/none and the given sizes,
     * with one {@link Loss} object per (loss, options, backend) shared by all items using it (so one object sees
     * many shapes), and the single-threaded result of each (forward+backward) as the reference.
     */
    static List<Item> pool(long[] sizes, long seed) {
        List<Item> items = new ArrayList<>();
        Map<String, Loss> shared = new LinkedHashMap<>();
        for (Backend b : cpuBackends()) {
            for (String name : Losses.NAMES) {
                for (String reduction : new String[] {"mean", "sum", "none"}) {
                    if (name.equals("AdaptiveLogSoftmaxWithLoss") && !reduction.equals("mean")) continue;
                    for (DType dt : new DType[] {DType.F32, DType.F64}) {
                        for (long n : sizes) {
                            RandomInputs.Sample s = new RandomInputs(seed + 31 * n + name.hashCode() + dt.ordinal(), dt)
                                    .sample(name, n, reduction);
                            Loss loss = shared.computeIfAbsent(b.name() + name + s.options(),
                                    k -> Losses.fromPyTorch(name, s.options()).on(b));
                            Tensor out = loss.forward(s.args());
                            Tensor g = null;
                            if (out.dim() > 0) {
                                g = Tensor.zeros(out.dtype(), out.shape());
                                for (long i = 0; i < g.numel(); i++) g.setDouble(i, 1.0 - (i % 3) * 0.5);
                            }
                            byte[][] ref = bytes(loss.backward(g, s.args()), true);
                            items.add(new Item(b.name() + " " + name + " " + reduction + " " + dt + " n=" + n, loss,
                                    s.args(), g, ref, b.name().equals("onednn")));
                        }
                    }
                }
            }
        }
        return items;
    }

    /** One call of {@code it} in one of three styles; throws AssertionError unless the result is the reference, bit for bit. */
    static void callAndCheck(Item it, int style) {
        byte[][] got;
        switch (style) {
            case 0 -> got = new byte[][] {it.loss().forward(it.args()).segment().toArray(ValueLayout.JAVA_BYTE)};
            case 1 -> got = bytes(it.loss().backward(it.gradOut(), it.args()), true);
            default -> got = it.gradOut() == null ? bytes(it.loss().forwardBackward(it.args()), true)
                    : bytes(it.loss().backward(it.gradOut(), it.args()), false);
        }
        for (int i = 0; i < got.length; i++) {
            if (!Arrays.equals(got[i], it.expected()[i]) && !withinTolerance(it, got[i], it.expected()[i])) {
                throw new AssertionError(it.label() + " style " + style + ": result " + i + " differs from the"
                        + " single-threaded result on " + Thread.currentThread().getName());
            }
        }
    }

    /**
     * Losses whose Java kernels use jdk.incubator.vector's EXP/LOG when the module is present. Those lane-wise
     * functions are computed one way until C2 compiles the loop and through its intrinsics (SVML-class, within an
     * ulp) after, so the same call can differ in the last bits over a JVM's life, whatever the threads (checked: with
     * -Dloss4j.vectorization=false -Dloss4j.noVector=true the 8-thread run is bit-identical for every loss). For these
     * losses a result must equal the reference within the dtype's tolerance; every other loss stays bit for bit.
     */
    static final java.util.Set<String> VECTOR_TRANSCENDENTAL = java.util.Set.of("CTCLoss", "CrossEntropyLoss",
            "NLLLoss", "BCEWithLogitsLoss", "KLDivLoss", "AdaptiveLogSoftmaxWithLoss", "MultiLabelSoftMarginLoss");

    private static boolean withinTolerance(Item it, byte[] got, byte[] expected) {
        if (!VECTOR_TRANSCENDENTAL.contains(it.loss().name()) || got.length != expected.length) return false;
        DType dt = null;
        for (Tensor t : it.args()) {
            if (t.dtype().isFloating()) {
                dt = t.dtype();
                break;
            }
        }
        if (dt == null) return false;
        org.loss4j.internal.vectors.Tolerance tol = org.loss4j.internal.vectors.Tolerance.of(dt);
        java.nio.ByteBuffer a = java.nio.ByteBuffer.wrap(got).order(java.nio.ByteOrder.nativeOrder());
        java.nio.ByteBuffer e = java.nio.ByteBuffer.wrap(expected).order(java.nio.ByteOrder.nativeOrder());
        int n = got.length / dt.byteSize();
        for (int k = 0; k < n; k++) {
            double x = dt == DType.F32 ? a.getFloat(4 * k) : a.getDouble(8 * k);
            double y = dt == DType.F32 ? e.getFloat(4 * k) : e.getDouble(8 * k);
            if (!tol.accepts(x, y)) return false;
        }
        return true;
    }

    /** Result of a stress run. */
    record StressResult(int threads, long callsPerThread, long calls, long onednnCalls, int items, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "stress: %d threads x %d calls = %d calls (%d on onednn) over %d"
                    + " (loss, backend, dtype, reduction, size) items, identical to single-threaded (bit for bit; within tolerance for VECTOR_TRANSCENDENTAL losses); %.1f s",
                    threads, callsPerThread, calls, onednnCalls, items, seconds);
        }
    }

    /**
     * {@code threads} threads, started together, each making {@code calls} random calls over the shared pool; any
     * difference from the single-threaded reference, exception or error fails the run.
     */
    static StressResult stress(int threads, long calls, long[] sizes) throws Exception {
        List<Item> pool = pool(sizes, 17);
        AtomicLong onednn = new AtomicLong();
        long t0 = System.nanoTime();
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 1000 + t;
                fs.add(ex.submit(() -> {
                    start.await();
                    SplittableRandom r = new SplittableRandom(seed);
                    long mine = 0;
                    for (long i = 0; i < calls; i++) {
                        Item it = pool.get(r.nextInt(pool.size()));
                        callAndCheck(it, r.nextInt(3));
                        if (it.onednn()) mine++;
                    }
                    onednn.addAndGet(mine);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            ex.shutdown();
            ex.awaitTermination(1, TimeUnit.MINUTES);
        }
        return new StressResult(threads, calls, threads * calls, onednn.get(), pool.size(), (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ memory

    /** Resident memory of this process in KiB (VmRSS of /proc/self/status), or -1 off Linux. */
    static long rssKiB() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** NMT's total committed KiB ({@code -XX:NativeMemoryTracking=summary}), through the DiagnosticCommand MBean; -1 if off. */
    static long nmtCommittedKiB() {
        Matcher m = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(nmtSummary());
        return m.find() ? Long.parseLong(m.group(2)) : -1;
    }

    /** NMT committed KiB per category (Java Heap, Class, Thread, Code, GC, Other, ...); empty if NMT is off. */
    static Map<String, Long> nmtCategories() {
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("-\\s+(\\S[^(]*?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)").matcher(nmtSummary());
        while (m.find()) out.put(m.group(1), Long.parseLong(m.group(3)));
        return out;
    }

    /** The {@code VM.native_memory summary} text, or "" if NMT is off. */
    static String nmtSummary() {
        try {
            // java.management by reflection: the test sources compile in the module org.loss4j, which does not read it
            Object server = Class.forName("java.lang.management.ManagementFactory").getMethod("getPlatformMBeanServer").invoke(null);
            Class<?> objectName = Class.forName("javax.management.ObjectName");
            Object name = objectName.getConstructor(String.class).newInstance("com.sun.management:type=DiagnosticCommand");
            String s = (String) Class.forName("javax.management.MBeanServerConnection")
                    .getMethod("invoke", objectName, String.class, Object[].class, String[].class)
                    .invoke(server, name, "vmNativeMemory", new Object[] {new String[] {"summary"}},
                            new String[] {String[].class.getName()});
            return s == null ? "" : s;
        } catch (Exception e) {
            return "";
        }
    }

    /**
     * NMT categories left out of the soak's NMT figure: the JIT compiler's working memory. It comes and goes with C2's
     * queue, not with loss4j's calls: a CI run measured Compiler +47 MB and Arena Chunk -25 MB after the warm-up
     * while the RSS grew 0.44%. The RSS still counts it.
     */
    static final List<String> JIT_CATEGORIES = List.of("Compiler", "Arena Chunk");

    /**
     * Collects garbage (automatic arenas free their native memory then) and measures {RSS, NMT committed less
     * {@link #JIT_CATEGORIES}} in KiB.
     */
    static long[] settleAndMeasure() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        long nmt = nmtCommittedKiB();
        if (nmt >= 0) {
            Map<String, Long> cats = nmtCategories();
            for (String c : JIT_CATEGORIES) nmt -= cats.getOrDefault(c, 0L);
        }
        return new long[] {rssKiB(), nmt};
    }

    /** Result of a soak run: memory at start, after warm-up, at the end, in KiB; NMT categories that moved after warm-up. */
    record SoakResult(long calls, long warmup, long[] start, long[] warm, long[] end, String moved, double seconds) {
        double growth(int i) {
            return warm[i] <= 0 ? 0 : (end[i] - warm[i]) * 100.0 / warm[i];
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "soak: %d calls (warm-up %d) in %.0f s; VmRSS start %d KiB, after warm-up"
                    + " %d KiB, end %d KiB (%+.2f%%); NMT committed less the JIT's own start %d KiB, after warm-up %d KiB, end %d KiB (%+.2f%%)%s",
                    calls, warmup, seconds, start[0], warm[0], end[0], growth(0), start[1], warm[1], end[1], growth(1),
                    moved.isEmpty() ? "" : "; NMT after warm-up: " + moved);
        }
    }

    /**
     * {@code calls} calls cycling over every loss, backend, dtype, reduction and a few sizes (every call checked
     * against the reference), measuring memory at start (before the first call), after the warm-up
     * ({@code warmupFraction} of the calls) and at the end, with a progress line at every tenth.
     */
    static SoakResult soak(long calls, long[] sizes, double warmupFraction) throws Exception {
        long t0 = System.nanoTime();
        long[] start = settleAndMeasure();
        List<Item> pool = pool(sizes, 23);
        long warmup = (long) (calls * warmupFraction);
        SplittableRandom r = new SplittableRandom(5);
        long[] warm = null;
        Map<String, Long> warmCats = Map.of();
        long step = Math.max(1, calls / 10);
        for (long i = 0; i < calls; i++) {
            if (i == warmup) {
                warm = settleAndMeasure();
                warmCats = nmtCategories();
            }
            if (i > 0 && i % step == 0) {
                long[] m = i == warmup ? warm : settleAndMeasure();
                System.out.printf(Locale.ROOT, "soak progress: %d calls, %.0f s, VmRSS %d KiB, NMT committed %d KiB%n",
                        i, (System.nanoTime() - t0) / 1e9, m[0], m[1]);
            }
            callAndCheck(pool.get((int) (i % pool.size())), r.nextInt(3));
        }
        if (warm == null) warm = settleAndMeasure();
        long[] end = settleAndMeasure();
        StringBuilder moved = new StringBuilder();
        for (var e : nmtCategories().entrySet()) {
            long d = e.getValue() - warmCats.getOrDefault(e.getKey(), 0L);
            if (Math.abs(d) >= 512) moved.append(moved.isEmpty() ? "" : ", ").append(e.getKey()).append(String.format(Locale.ROOT, " %+d KiB", d));
        }
        return new SoakResult(calls, warmup, start, warm, end, moved.toString(), (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ leaks and faults

    /** Calls that work on the Java backend after a fault: every loss once (forward + backward), against a fresh reference. */
    static String javaStillServes() {
        for (String name : Losses.NAMES) {
            RandomInputs.Sample s = new RandomInputs(3, DType.F32).sample(name, 13, "mean");
            Loss java = Losses.fromPyTorch(name, s.options()).on(Backends.java());
            Loss auto = Losses.fromPyTorch(name, s.options());
            byte[][] a = bytes(java.forwardBackward(s.args()), true);
            byte[][] b = bytes(auto.forwardBackward(s.args()), true);
            if (!Backends.defaultBackend().name().equals("java")) continue; // automatic selection picks a native backend
            for (int i = 0; i < a.length; i++) {
                if (!Arrays.equals(a[i], b[i])) throw new AssertionError(name + ": automatic backend differs from java after the fault");
            }
        }
        return "java backend serves all " + Losses.NAMES.size() + " losses; default backend " + Backends.defaultBackend().name();
    }

    static void fault(String kind, Path dir) throws Exception {
        Backend onednn = Backends.all().stream().filter(b -> b.name().equals("onednn")).findFirst().orElseThrow();
        switch (kind) {
            case "library" -> { // missing, corrupt, truncated or wrong-version library: set up by the parent via loss4j.onednn.path
                if (onednn.isAvailable()) throw new AssertionError("onednn loaded although the library is broken");
                System.out.println("UNAVAILABLE: " + onednn.unavailableReason().replace('\n', '|'));
                try {
                    Backends.get("onednn");
                    throw new AssertionError("Backends.get(\"onednn\") did not throw");
                } catch (IllegalStateException e) {
                    System.out.println("GET: " + e.getClass().getSimpleName() + ": " + e.getMessage().lines().findFirst().orElse(""));
                }
                try {
                    OneDnnRuntime.get();
                    throw new AssertionError("OneDnnRuntime.get() did not throw");
                } catch (IllegalStateException e) {
                    System.out.println("RUNTIME: " + e.getMessage().lines().findFirst().orElse(""));
                }
                if (!Backends.defaultBackend().name().equals("java")) throw new AssertionError("default backend is not java");
            }
            case "oom" -> {
                // Workspace: a scratch request far beyond memory (also beyond -XX:MaxDirectMemorySize)
                Workspace ws = Workspace.current();
                long mark = ws.mark();
                try {
                    ws.uninitialized(DType.F32, 1L << 42);
                    throw new AssertionError("a 16 TiB workspace was allocated");
                } catch (OutOfMemoryError e) {
                    System.out.println("WORKSPACE OOM: " + e.getMessage());
                } finally {
                    ws.release(mark);
                }
                // A loss call whose intermediates exceed the direct-memory limit the parent set: an OutOfMemoryError
                // from the allocation, never a crash; afterwards every backend still serves (checked below).
                boolean seen = false;
                for (long n = 1 << 20; n <= 1L << 26 && !seen; n *= 2) {
                    try {
                        RandomInputs.Sample s = new RandomInputs(1, DType.F32).sample("CrossEntropyLoss", n, "mean");
                        for (Backend b : cpuBackends()) Losses.fromPyTorch("CrossEntropyLoss", s.options()).on(b).forwardBackward(s.args());
                    } catch (OutOfMemoryError e) {
                        seen = true;
                        StackTraceElement[] st = e.getStackTrace();
                        String where = Arrays.stream(st).filter(f -> f.getClassName().startsWith("org.loss4j"))
                                .findFirst().map(StackTraceElement::toString).orElse("?");
                        System.out.println("CALL OOM at n=" + n + ": " + e.getMessage() + " (thrown in " + where + ")");
                    }
                }
                if (!seen) throw new AssertionError("no OutOfMemoryError up to 64M elements: is -XX:MaxDirectMemorySize set?");
                System.gc();
                // the native backend too keeps serving after the failed call
                for (Backend b : cpuBackends()) {
                    RandomInputs.Sample s = new RandomInputs(3, DType.F32).sample("MSELoss", 1000, "mean");
                    Loss l = Losses.fromPyTorch("MSELoss", s.options());
                    byte[][] ref = bytes(l.on(Backends.java()).forwardBackward(s.args()), true);
                    byte[][] got = bytes(l.on(b).forwardBackward(s.args()), true);
                    System.out.println("AFTER OOM " + b.name() + " serves: " + (got.length == ref.length));
                }
            }
            default -> throw new IllegalArgumentException("unknown fault " + kind);
        }
        System.out.println("JAVA: " + javaStillServes());
    }

    /**
     * Runs a stress over every backend (with whatever {@code loss4j.onednn.cache} the JVM has), lets the threads end,
     * closes the oneDNN runtime and checks that every tracked native object was freed exactly once
     * ({@code loss4j.leaks=true} required), that oneDNN then refuses calls with a clear exception and Java serves.
     */
    static void leaks(int threads, long calls) throws Exception {
        if (!NativeLeaks.ENABLED) throw new IllegalStateException("run with -Dloss4j.leaks=true");
        System.out.println(stress(threads, calls, new long[] {1, 13, 300}));
        OneDnnRuntime rt = OneDnnRuntime.get();
        System.out.println("before close: " + NativeLeaks.counts().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()[0] + "/" + e.getValue()[1]).toList()
                + ", transient primitives " + rt.cache().transientCreated() + ", cache capacity " + rt.cache().capacity());
        // a leak is reported with where it was made
        NativeLeaks.allocated("test object", 0x1234);
        String report = NativeLeaks.report();
        if (!report.contains("LEAK: test object 0x1234") || !report.contains("Reliability.leaks")) {
            throw new AssertionError("leak report lacks the planted leak and its stack trace:\n" + report);
        }
        NativeLeaks.freed("test object", 0x1234);
        boolean all = OneDnnRuntime.shutdown();
        if (!all) throw new AssertionError("a thread was still executing at close");
        if (!OneDnnRuntime.shutdown()) throw new AssertionError("second close");
        System.out.println("after close: " + NativeLeaks.report());
        if (!NativeLeaks.outstanding().isEmpty() || !NativeLeaks.doubleFrees().isEmpty()) {
            throw new AssertionError("leaks or double frees after close:\n" + NativeLeaks.report());
        }
        for (var e : NativeLeaks.counts().entrySet()) {
            if (!e.getKey().startsWith("test") && e.getValue()[0] != e.getValue()[1]) {
                throw new AssertionError(e.getKey() + ": " + e.getValue()[0] + " allocated, " + e.getValue()[1] + " freed");
            }
        }
        Backend onednn = Backends.all().stream().filter(b -> b.name().equals("onednn")).findFirst().orElseThrow();
        System.out.println("onednn after close: available=" + onednn.isAvailable() + ": " + onednn.unavailableReason());
        System.out.println("JAVA: " + javaStillServes());
    }

    static long[] sizes(String s) {
        return Arrays.stream(s.split(",")).mapToLong(Long::parseLong).toArray();
    }

    /** {@code stress THREADS CALLS [SIZES]}, {@code soak CALLS [SIZES]}, {@code leaks THREADS CALLS}, {@code fault KIND}. */
    public static void main(String[] a) {
        try {
            System.out.println("backends: " + cpuBackends().stream().map(Backend::name).toList() + ", onednn cache "
                    + System.getProperty("loss4j.onednn.cache", "default") + ", leaks " + NativeLeaks.ENABLED);
            switch (a[0]) {
                case "stress" -> System.out.println(stress(Integer.parseInt(a[1]), Long.parseLong(a[2]),
                        sizes(a.length > 3 ? a[3] : "1,7,13,64,300")));
                case "soak" -> {
                    SoakResult r = soak(Long.parseLong(a[1]), sizes(a.length > 2 ? a[2] : "1,13,256"),
                            Double.parseDouble(System.getProperty("loss4j.soak.warmup", "0.1")));
                    System.out.println(r);
                    if (r.growth(0) >= 5 || r.growth(1) >= 5) throw new AssertionError("memory grew 5% or more after warm-up");
                }
                case "leaks" -> leaks(Integer.parseInt(a[1]), Long.parseLong(a[2]));
                case "fault" -> fault(a[1], a.length > 2 ? Path.of(a[2]) : null);
                default -> throw new IllegalArgumentException("unknown mode " + a[0]);
            }
            System.out.println("RESULT: OK");
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("RESULT: FAILED " + t);
            System.out.flush();
            System.exit(1);
        }
    }
}

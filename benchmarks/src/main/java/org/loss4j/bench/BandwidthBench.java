package org.loss4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory roof, measured in the same run as the losses: STREAM-style {@code sum} (read {@code mb} MiB of float32)
 * and {@code triad} ({@code a = b + s * c} over three arrays of {@code mb} MiB: 3 x mb MiB moved, STREAM's count,
 * without the write-allocate read) in plain Java over off-heap {@link MemorySegment}s, with {@code threads} threads
 * each on its own contiguous slice. {@code kernel=vector} uses jdk.incubator.vector (4 independent accumulators,
 * fused multiply-add); {@code kernel=scalar} is the unrolled scalar loop for comparison. GB/s = bytes / time
 * (10^9 bytes), computed by the summary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class BandwidthBench {

    /** Threads reading memory at once. */
    @Param({"1", "2"})
    public int threads;

    /** MiB per array (>= 256 MiB, far beyond any cache). */
    @Param({"256"})
    public int mb;

    @Param({"vector"})
    public String kernel;

    private Arena arena;
    private MemorySegment a, b, c;
    private long n;
    private long[] bounds;
    private ExecutorService pool;
    private boolean vector;

    @Setup(Level.Trial)
    public void setUp() {
        vector = switch (kernel) {
            case "vector" -> true;
            case "scalar" -> false;
            default -> throw new IllegalArgumentException("kernel must be vector or scalar, got " + kernel);
        };
        if (vector) VectorKernels.check();
        n = (long) mb << 18; // floats in mb MiB
        arena = Arena.ofShared();
        a = arena.allocate(n * 4, 4096);
        b = arena.allocate(n * 4, 4096);
        c = arena.allocate(n * 4, 4096);
        for (long i = 0; i < n; i++) { // touches every page
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f + (i & 7));
            c.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.5f);
        }
        a.fill((byte) 0);
        bounds = new long[threads + 1];
        long chunk = (n / threads) & ~1023L;
        for (int t = 1; t < threads; t++) bounds[t] = t * chunk;
        bounds[threads] = n;
        pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread th = new Thread(r, "bandwidth-worker");
            th.setDaemon(true);
            return th;
        }) : null;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool != null) pool.shutdownNow();
        arena.close();
    }

    @Benchmark
    public float sum() throws Exception {
        if (threads == 1) return sum(0, n);
        @SuppressWarnings("unchecked")
        Future<Float>[] f = new Future[threads - 1];
        for (int t = 1; t < threads; t++) {
            long from = bounds[t], to = bounds[t + 1];
            f[t - 1] = pool.submit(() -> sum(from, to));
        }
        float s = sum(bounds[0], bounds[1]);
        for (Future<Float> x : f) s += x.get();
        return s;
    }

    @Benchmark
    public MemorySegment triad() throws Exception {
        if (threads == 1) {
            triad(0, n);
            return a;
        }
        Future<?>[] f = new Future<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            long from = bounds[t], to = bounds[t + 1];
            f[t - 1] = pool.submit(() -> triad(from, to));
        }
        triad(bounds[0], bounds[1]);
        for (Future<?> x : f) x.get();
        return a;
    }

    private float sum(long from, long to) {
        return vector ? VectorKernels.sum(b, from, to) : scalarSum(b, from, to);
    }

    private void triad(long from, long to) {
        if (vector) VectorKernels.triad(a, b, c, 3f, from, to);
        else scalarTriad(a, b, c, 3f, from, to);
    }

    static float scalarSum(MemorySegment m, long from, long to) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        long i = from;
        for (; i + 4 <= to; i += 4) {
            s0 += m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            s1 += m.getAtIndex(ValueLayout.JAVA_FLOAT, i + 1);
            s2 += m.getAtIndex(ValueLayout.JAVA_FLOAT, i + 2);
            s3 += m.getAtIndex(ValueLayout.JAVA_FLOAT, i + 3);
        }
        for (; i < to; i++) s0 += m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return (s0 + s1) + (s2 + s3);
    }

    static void scalarTriad(MemorySegment a, MemorySegment b, MemorySegment c, float s, long from, long to) {
        for (long i = from; i < to; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + s * c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    /** Bytes one call moves, for GB/s: sum reads one array, triad moves three. */
    static long bytes(String method, int mb) {
        long one = (long) mb << 20;
        return method.equals("triad") ? 3 * one : one;
    }
}

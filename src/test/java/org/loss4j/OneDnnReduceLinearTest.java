package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.onednn.OneDnnBackend;
import org.loss4j.internal.onednn.OneDnnRuntime;
import org.loss4j.internal.ops.LinearOps;
import org.loss4j.internal.ops.ReduceOps;
import org.loss4j.internal.vectors.Tolerance;

/**
 * The oneDNN reduce and linear groups against the Java backend on awkward sizes, and the primitive cache: a repeated
 * call creates no primitive.
 */
class OneDnnReduceLinearTest {

    static final long[] SIZES = {1, 7, 13, 1_000_003};
    static final Tolerance F32 = Tolerance.F32;

    static ReduceOps dnnReduce;
    static ReduceOps javaReduce;
    static LinearOps dnnLinear;
    static LinearOps javaLinear;

    @BeforeAll
    static void backends() {
        assumeTrue(OneDnnBackend.INSTANCE.isAvailable(), () -> "oneDNN unavailable: " + OneDnnBackend.INSTANCE.unavailableReason());
        dnnReduce = OneDnnBackend.INSTANCE.reduce();
        javaReduce = JavaBackend.INSTANCE.reduce();
        dnnLinear = OneDnnBackend.INSTANCE.linear();
        javaLinear = JavaBackend.INSTANCE.linear();
    }

    static Tensor random(Random rnd, boolean positive, long... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, positive ? rnd.nextDouble() : rnd.nextGaussian());
        return t;
    }

    static void assertClose(String what, Tensor actual, Tensor expected) {
        assertEquals(expected.numel(), actual.numel(), what);
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i), e = expected.getDouble(i);
            if (!F32.accepts(a, e)) throw new AssertionError(what + ": element " + i + " is " + a + ", Java " + e);
        }
    }

    static long created() {
        return OneDnnRuntime.get().primitivesCreated();
    }

    // ------------------------------------------------------------------ reductions

    @Test
    void sumMatchesJava() {
        Random rnd = new Random(1);
        for (long n : SIZES) {
            for (boolean positive : new boolean[] {true, false}) {
                Tensor x = random(rnd, positive, n);
                double e = javaReduce.sum(x);
                double a = dnnReduce.sum(x);
                double mag = javaReduce.sum(abs(x));
                assertTrue(Math.abs(a - e) <= F32.abs() + F32.rel() * mag, "sum n=" + n + " positive=" + positive + ": " + a + ", Java " + e);
                long before = created();
                assertEquals(a, dnnReduce.sum(x), "repeat gives the same bits");
                assertEquals(before, created(), "repeated sum n=" + n + " created a primitive");
            }
        }
    }

    /**
     * float32 accumulation error of the oneDNN sum vs the Java double sum, at sizes where one float32 reduction
     * drifts: relative error (to |sum| for positive data, to sum |x| for mixed signs) must stay near PyTorch's own
     * (its float32 cascade sum: a few 1e-8 at these sizes).
     */
    @Test
    void sumAccuracy() {
        Random rnd = new Random(7);
        for (long n : new long[] {1_000_003, 16_000_000}) {
            for (boolean positive : new boolean[] {true, false}) {
                Tensor x = random(rnd, positive, n);
                double e = javaReduce.sum(x);
                double abs = 0;
                for (long i = 0; i < n; i++) abs += Math.abs(x.getDouble(i));
                double a = dnnReduce.sum(x);
                double rel = Math.abs(a - e) / (positive ? Math.abs(e) : abs);
                System.out.printf("oneDNN sum n=%d %s: %.17g vs Java %.17g, rel error %.3g%n", n,
                        positive ? "positive" : "mixed", a, e, rel);
                assertTrue(rel < 1e-6, "sum n=" + n + ": rel error " + rel);
            }
        }
    }

    @Test
    void sumDimMatchesJava() {
        Random rnd = new Random(2);
        double worst = 0;
        for (long n : SIZES) {
            long[][] shapes = n > 1000 ? new long[][] {{1, n, 1}, {2, n, 1}, {1, n, 8}}
                    : new long[][] {{1, n, 1}, {3, n, 1}, {1, n, 5}, {2, n, 3}, {1, n, 1500}, {3, n, 16}};
            for (long[] s : shapes) {
                for (double scale : new double[] {1.0, 1.0 / 7}) {
                    Tensor x = random(rnd, false, s);
                    Tensor expected = Tensor.zeros(DType.F32, s[0], s[2]);
                    Tensor actual = Tensor.zeros(DType.F32, s[0], s[2]);
                    javaReduce.sumDim(x, s[0], s[1], s[2], scale, expected);
                    dnnReduce.sumDim(x, s[0], s[1], s[2], scale, actual);
                    String what = "sumDim " + java.util.Arrays.toString(s) + " scale " + scale;
                    Tensor mag = Tensor.zeros(DType.F32, s[0], s[2]);
                    javaReduce.sumDim(abs(x), s[0], s[1], s[2], Math.abs(scale), mag);
                    worst = Math.max(worst, assertCloseToMagnitude(what, actual, expected, mag));
                    long before = created();
                    dnnReduce.sumDim(x, s[0], s[1], s[2], scale, actual);
                    assertEquals(before, created(), "repeated " + what + " created a primitive");
                    assertCloseToMagnitude(what + " (repeat)", actual, expected, mag);
                }
            }
        }
        // positive terms (no cancellation: element-wise tolerance) on axes longer than one block between outer and
        // inner dims: full blocks, then a tail of 1 or more rows
        for (long[] s : new long[][] {{3, 5000, 1}, {3, 1025, 1}, {9, 2049, 1}, {20, 3000, 1}, {3, 5000, 16}, {1, 5000, 16}, {2, 2049, 8}, {1, 4097, 32}, {4, 3000, 5}}) {
            Tensor x = random(rnd, true, s);
            Tensor expected = Tensor.zeros(DType.F32, s[0], s[2]), actual = Tensor.zeros(DType.F32, s[0], s[2]);
            javaReduce.sumDim(x, s[0], s[1], s[2], 0.5, expected);
            dnnReduce.sumDim(x, s[0], s[1], s[2], 0.5, actual);
            assertClose("sumDim " + java.util.Arrays.toString(s), actual, expected);
            worst = Math.max(worst, worstRelative(actual, expected, expected));
        }
        System.out.printf("oneDNN sumDim: worst error / sum |terms| %.3g%n", worst);
    }

    /** max |actual - expected| / magnitude over the elements. */
    static double worstRelative(Tensor actual, Tensor expected, Tensor magnitude) {
        double worst = 0;
        for (long i = 0; i < expected.numel(); i++) {
            worst = Math.max(worst, Math.abs(actual.getDouble(i) - expected.getDouble(i)) / (magnitude.getDouble(i) + 1e-30));
        }
        return worst;
    }

    @Test
    void scaleAndMulMatchJava() {
        Random rnd = new Random(3);
        for (long n : SIZES) {
            Tensor x = random(rnd, false, n), y = random(rnd, false, n);
            Tensor expected = Tensor.zeros(DType.F32, n), actual = Tensor.zeros(DType.F32, n);
            for (double alpha : new double[] {-1, 1.0 / 3}) {
                javaReduce.scale(x, alpha, expected);
                dnnReduce.scale(x, alpha, actual);
                assertClose("scale n=" + n + " alpha " + alpha, actual, expected);
                long before = created();
                dnnReduce.scale(x, alpha, actual);
                assertEquals(before, created(), "repeated scale created a primitive");
            }
            javaReduce.mul(x, y, expected);
            dnnReduce.mul(x, y, actual);
            for (long i = 0; i < n; i++) assertEquals(expected.getDouble(i), actual.getDouble(i), "mul is exact in float32");
            long before = created();
            dnnReduce.mul(x, y, actual);
            assertEquals(before, created(), "repeated mul created a primitive");
            // in place, as the losses call it
            Tensor z = random(rnd, false, n);
            Tensor zj = Tensor.zeros(DType.F32, n);
            javaReduce.copy(z, zj);
            javaReduce.scale(zj, -1, zj);
            dnnReduce.scale(z, -1, z);
            assertClose("in-place scale n=" + n, z, zj);
        }
    }

    @Test
    void nonFloat32FallsBackToJava() {
        Tensor x = Tensor.of(new double[] {1, 2, 3});
        long before = created();
        assertEquals(6.0, dnnReduce.sum(x));
        assertEquals(before, created(), "float64 never reaches oneDNN");
        assertTrue(dnnReduce.servedBy().startsWith("onednn"), dnnReduce.servedBy());
    }

    // ------------------------------------------------------------------ matrix products

    static final long[][] SHAPES = {{1, 1, 1}, {7, 13, 5}, {13, 7, 1}, {1, 13, 7}, {64, 64, 2000}, {2000, 64, 64}, {5, 1000003, 2}};

    /**
     * float32 dot products: the error scales with sum_p |a_ip b_pj|, not with the result (which cancellation can
     * make tiny); PyTorch's float32 matmul has the same property. So the tolerance is loss4j's float32 one applied to
     * that magnitude.
     */
    static void assertProductClose(String what, Tensor actual, Tensor expected, Tensor magnitude) {
        System.out.printf("oneDNN %s: worst error / sum|terms| %.3g%n", what, assertCloseToMagnitude(what, actual, expected, magnitude));
    }

    /**
     * A float32 sum of mixed-sign terms (PyTorch's too) is off by a few ulp of sum |terms|, which cancellation can
     * make far larger than the result: loss4j's float32 tolerance applied to that magnitude.
     *
     * @return the worst error / magnitude
     */
    static double assertCloseToMagnitude(String what, Tensor actual, Tensor expected, Tensor magnitude) {
        double worst = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i), e = expected.getDouble(i), mag = magnitude.getDouble(i);
            double err = Math.abs(a - e);
            worst = Math.max(worst, err / (mag + 1e-30));
            if (err > F32.abs() + F32.rel() * mag) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", Java " + e + ", sum |terms| " + mag);
            }
        }
        return worst;
    }

    static Tensor abs(Tensor t) {
        Tensor out = Tensor.zeros(t.dtype(), t.shape());
        for (long i = 0; i < t.numel(); i++) out.setDouble(i, Math.abs(t.getDouble(i)));
        return out;
    }

    @Test
    void linearMatchesJava() {
        Random rnd = new Random(4);
        for (long[] s : SHAPES) {
            long m = s[0], k = s[1], n = s[2];
            Tensor a = random(rnd, false, m, k), b = random(rnd, false, n, k), bias = random(rnd, false, n);
            for (boolean withBias : new boolean[] {false, true}) {
                Tensor expected = Tensor.zeros(DType.F32, m, n), actual = Tensor.zeros(DType.F32, m, n);
                Tensor mag = Tensor.zeros(DType.F32, m, n);
                javaLinear.linear(a, b, withBias ? bias : null, m, k, n, expected);
                dnnLinear.linear(a, b, withBias ? bias : null, m, k, n, actual);
                javaLinear.linear(abs(a), abs(b), withBias ? abs(bias) : null, m, k, n, mag);
                String what = "linear " + java.util.Arrays.toString(s) + (withBias ? " + bias" : "");
                assertProductClose(what, actual, expected, mag);
                long before = created();
                dnnLinear.linear(a, b, withBias ? bias : null, m, k, n, actual);
                assertEquals(before, created(), "repeated " + what + " created a primitive");
            }
        }
    }

    @Test
    void matmulMatchesJava() {
        Random rnd = new Random(5);
        for (long[] s : SHAPES) {
            long m = s[0], k = s[1], n = s[2];
            Tensor a = random(rnd, false, m, k), b = random(rnd, false, k, n);
            Tensor expected = Tensor.zeros(DType.F32, m, n), actual = Tensor.zeros(DType.F32, m, n);
            Tensor mag = Tensor.zeros(DType.F32, m, n);
            javaLinear.matmul(a, b, m, k, n, expected);
            dnnLinear.matmul(a, b, m, k, n, actual);
            javaLinear.matmul(abs(a), abs(b), m, k, n, mag);
            String what = "matmul " + java.util.Arrays.toString(s);
            assertProductClose(what, actual, expected, mag);
            long before = created();
            dnnLinear.matmul(a, b, m, k, n, actual);
            assertEquals(before, created(), "repeated " + what + " created a primitive");
        }
    }

    @Test
    void matmulTransposeAMatchesJava() {
        Random rnd = new Random(6);
        for (long[] s : SHAPES) {
            long m = s[0], k = s[1], n = s[2];
            Tensor a = random(rnd, false, k, m), b = random(rnd, false, k, n);
            Tensor expected = Tensor.zeros(DType.F32, m, n), actual = Tensor.zeros(DType.F32, m, n);
            Tensor mag = Tensor.zeros(DType.F32, m, n);
            javaLinear.matmulTransposeA(a, b, k, m, n, expected);
            dnnLinear.matmulTransposeA(a, b, k, m, n, actual);
            javaLinear.matmulTransposeA(abs(a), abs(b), k, m, n, mag);
            String what = "matmulTransposeA " + java.util.Arrays.toString(s);
            assertProductClose(what, actual, expected, mag);
            long before = created();
            dnnLinear.matmulTransposeA(a, b, k, m, n, actual);
            assertEquals(before, created(), "repeated " + what + " created a primitive");
        }
    }

    @Test
    void emptyProductsWriteTheBias() {
        Tensor a = Tensor.zeros(DType.F32, 3, 0), b = Tensor.zeros(DType.F32, 2, 0), bias = Tensor.of(new float[] {1.5f, -2f});
        Tensor out = Tensor.zeros(DType.F32, 3, 2);
        dnnLinear.linear(a, b, bias, 3, 0, 2, out);
        for (long i = 0; i < 6; i++) assertEquals(i % 2 == 0 ? 1.5 : -2.0, out.getDouble(i));
        String served = dnnLinear.servedBy();
        assertTrue(served.startsWith("onednn (") && served.contains("gatherRows, scatterAddRows: java")
                || served.startsWith("java (") && served.contains("FPMATH_MODE"), served);
    }

    @Test
    void factorsBeyondFloatRangeStayExact() {
        Tensor x = Tensor.of(new float[] {1e-10f, -3e-20f, 2f});
        Tensor expected = Tensor.zeros(DType.F32, 3), actual = Tensor.zeros(DType.F32, 3);
        javaReduce.scale(x, 1e39, expected);
        dnnReduce.scale(x, 1e39, actual);
        assertClose("scale by 1e39", actual, expected);
        Tensor e1 = Tensor.zeros(DType.F32, 1), a1 = Tensor.zeros(DType.F32, 1);
        javaReduce.sumDim(x, 1, 3, 1, 1e-39, e1);
        dnnReduce.sumDim(x, 1, 3, 1, 1e-39, a1);
        assertClose("sumDim scaled by 1e-39", a1, e1);
    }

    /** Primitives are shared; streams, memory objects and the partial-sum scratch are per thread. */
    @Test
    void concurrentCallsAgree() throws Exception {
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    Random rnd = new Random(100 + seed);
                    for (int rep = 0; rep < 20; rep++) {
                        long n = 3000 + 977L * seed;
                        Tensor x = random(rnd, false, 3, n, 16);
                        Tensor e = Tensor.zeros(DType.F32, 3, 16), a = Tensor.zeros(DType.F32, 3, 16);
                        javaReduce.sumDim(x, 3, n, 16, 1.0, e);
                        dnnReduce.sumDim(x, 3, n, 16, 1.0, a);
                        Tensor m = Tensor.zeros(DType.F32, 3, 16);
                        javaReduce.sumDim(abs(x), 3, n, 16, 1.0, m);
                        assertCloseToMagnitude("thread " + seed + " sumDim", a, e, m);
                        double js = javaReduce.sum(x), ds = dnnReduce.sum(x);
                        double ms = javaReduce.sum(abs(x));
                        assertTrue(Math.abs(ds - js) <= F32.abs() + F32.rel() * ms, "thread " + seed + " sum " + ds + " vs " + js);
                        Tensor w = random(rnd, false, 16, 48), o = Tensor.zeros(DType.F32, 3 * n, 16), oj = Tensor.zeros(DType.F32, 3 * n, 16);
                        Tensor in = random(rnd, false, 3 * n, 48);
                        javaLinear.linear(in, w, null, 3 * n, 48, 16, oj);
                        dnnLinear.linear(in, w, null, 3 * n, 48, 16, o);
                        Tensor mag = Tensor.zeros(DType.F32, 3 * n, 16);
                        javaLinear.linear(abs(in), abs(w), null, 3 * n, 48, 16, mag);
                        assertCloseToMagnitude("thread " + seed + " linear", o, oj, mag);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
    }
}

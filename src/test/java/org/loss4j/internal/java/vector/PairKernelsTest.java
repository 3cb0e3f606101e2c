package org.loss4j.internal.java.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The active {@link PairKernels} (vectorised when the tests run with {@code --add-modules jdk.incubator.vector}) give
 * the scalar kernels' results: bit-identical gradients, sums equal up to summation order, and identical NaN/inf/kink
 * behaviour, on values placed exactly at the kinks, at ±0, NaN, ±inf and float32's extremes.
 */
class PairKernelsTest {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private static float[] values(Random r, int n, double param) {
        float p = (float) param;
        float[] special = {0f, -0f, p, -p, Math.nextUp(p), Math.nextDown(p), -Math.nextUp(p), Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(4) == 0 ? special[r.nextInt(special.length)] : (float) (r.nextGaussian() * 2 * Math.max(p, 0.5f));
        }
        return v;
    }

    private static MemorySegment seg(Arena arena, float[] v) {
        MemorySegment s = arena.allocate((long) v.length * 4 + 4, 64).asSlice(4); // deliberately not vector-aligned
        for (int i = 0; i < v.length; i++) s.setAtIndex(F, i, v[i]);
        return s;
    }

    @Test
    void activeKernelsMatchTheScalarOnesIncludingKinksNanAndInfinities() {
        PairKernels active = Vectorization.pairKernels();
        PairKernels scalar = ScalarPairKernels.INSTANCE;
        Random r = new Random(42);
        double[][] params = {{PairKernels.SQUARED, Double.NaN}, {PairKernels.ABSOLUTE, Double.NaN},
            {PairKernels.SMOOTH_L1, 1.0}, {PairKernels.SMOOTH_L1, 0.3}, {PairKernels.SMOOTH_L1, 0.0},
            {PairKernels.HUBER, 1.0}, {PairKernels.HUBER, 2.5}, {PairKernels.LOGITS_BCE, Double.NaN}, {PairKernels.KL_DIV, Double.NaN}};
        for (int n : new int[] {0, 1, 6, 7, 8, 13, 15, 16, 17, 33, 207, 702, 1000, 4099}) {
            for (double[] kp : params) {
                int kind = (int) kp[0];
                double param = kp[1];
                for (boolean finite : new boolean[] {true, false}) {
                    try (Arena arena = Arena.ofConfined()) {
                        float[] av = values(r, n, Double.isNaN(param) ? 1 : param);
                        float[] bv = r.nextBoolean() ? av.clone() : values(r, n, Double.isNaN(param) ? 1 : param);
                        for (int i = 0; i < n; i++) {
                            if (finite && !Float.isFinite(av[i])) av[i] = 0.5f;
                            if (finite && !Float.isFinite(bv[i])) bv[i] = -0.25f;
                            if (finite && Math.abs(av[i]) > 1e30f) av[i] = 3f;
                            if (finite && Math.abs(bv[i]) > 1e30f) bv[i] = 3f;
                            if (r.nextInt(5) == 0 && !Double.isNaN(param)) bv[i] = av[i] - (float) (r.nextBoolean() ? param : -param);
                            if (finite && kind == PairKernels.KL_DIV) bv[i] = r.nextInt(8) == 0 ? 0f : Math.abs(bv[i]); // probabilities, exact zeros
                        }
                        MemorySegment a = seg(arena, av);
                        MemorySegment b = seg(arena, bv);
                        double g = r.nextBoolean() ? 1.0 / Math.max(1, n) : -0.37;
                        MemorySegment ga1 = arena.allocate(Math.max(4, 4L * n)), gb1 = arena.allocate(Math.max(4, 4L * n));
                        MemorySegment ga2 = arena.allocate(Math.max(4, 4L * n)), gb2 = arena.allocate(Math.max(4, 4L * n));
                        String what = "kind " + kind + " param " + param + " n " + n + " (" + active.description() + ")";
                        double s1 = scalar.run(kind, param, a, b, null, null, g, 0, n);
                        double s2 = active.run(kind, param, a, b, null, null, g, 0, n);
                        boolean transcendental = kind == PairKernels.LOGITS_BCE || kind == PairKernels.KL_DIV;
                        double rel = transcendental ? 1e-6 : 1e-12;
                        assertClose(s1, s2, rel, what + " forward");
                        double f1 = scalar.run(kind, param, a, b, ga1, gb1, g, 0, n);
                        double f2 = active.run(kind, param, a, b, ga2, gb2, g, 0, n);
                        assertClose(f1, f2, rel, what + " fused");
                        assertClose(s1, f1, 1e-12, what + " fused vs forward");
                        for (int i = 0; transcendental && i < n; i++) {
                            // the vector exp/log1p may differ from StrictMath's by an ulp: float32 tolerance
                            assertFloatClose(ga1.getAtIndex(F, i), ga2.getAtIndex(F, i), what + " grad a at " + i + " for a=" + av[i] + " b=" + bv[i]);
                            assertFloatClose(gb1.getAtIndex(F, i), gb2.getAtIndex(F, i), what + " grad b at " + i);
                        }
                        for (int i = 0; !transcendental && i < n; i++) {
                            assertEquals(ga1.getAtIndex(F, i), ga2.getAtIndex(F, i), what + " grad a at " + i + " for a=" + av[i] + " b=" + bv[i]);
                            assertEquals(gb1.getAtIndex(F, i), gb2.getAtIndex(F, i), what + " grad b at " + i + " for a=" + av[i] + " b=" + bv[i]);
                            assertEquals(Float.floatToRawIntBits(ga1.getAtIndex(F, i)) == Float.floatToRawIntBits(-0f),
                                    Float.floatToRawIntBits(ga2.getAtIndex(F, i)) == Float.floatToRawIntBits(-0f), what + " sign of zero at " + i);
                        }
                        // one gradient at a time (the vector kernels write gb alone through -g): the same bits
                        MemorySegment ga3 = arena.allocate(Math.max(4, 4L * n)), gb3 = arena.allocate(Math.max(4, 4L * n));
                        assertClose(f2, active.run(kind, param, a, b, ga3, null, g, 0, n), 1e-12, what + " input gradient alone");
                        assertClose(f2, active.run(kind, param, a, b, null, gb3, g, 0, n), 1e-12, what + " target gradient alone");
                        for (int i = 0; i < n; i++) { // floatToIntBits: one NaN (a NaN's sign and payload are not specified)
                            assertEquals(Float.floatToIntBits(ga2.getAtIndex(F, i)), Float.floatToIntBits(ga3.getAtIndex(F, i)),
                                    what + " grad a alone at " + i);
                            assertEquals(Float.floatToIntBits(gb2.getAtIndex(F, i)), Float.floatToIntBits(gb3.getAtIndex(F, i)),
                                    what + " grad b alone at " + i);
                        }
                        // a sub-range (chunks of a parallel call) gives the same as the scalar sub-range
                        if (n > 10) {
                            assertClose(scalar.run(kind, param, a, b, null, null, g, 3, n - 5),
                                    active.run(kind, param, a, b, null, null, g, 3, n - 5), rel, what + " sub-range");
                        }
                    }
                }
            }
        }
    }

    private static void assertClose(double expected, double actual, double rel, String what) {
        if (Double.isNaN(expected) || Double.isInfinite(expected)) {
            assertEquals(expected, actual, what);
            return;
        }
        assertTrue(Math.abs(expected - actual) <= rel * Math.abs(expected) + 1e-300, what + ": " + expected + " vs " + actual);
    }

    /** The vector suite's float32 tolerance (rel 1e-5, abs 1e-6); NaN and infinities must agree exactly. */
    private static void assertFloatClose(float expected, float actual, String what) {
        if (Float.isNaN(expected) || Float.isInfinite(expected)) {
            assertEquals(expected, actual, what);
            return;
        }
        assertTrue(Math.abs(expected - actual) <= 1e-5 * Math.abs(expected) + 1e-6, what + ": " + expected + " vs " + actual);
    }
}

package org.loss4j.internal.java.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.function.DoubleUnaryOperator;
import java.util.function.BiConsumer;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of {@link VectorMath} against {@code Math.exp}/{@code Math.log1p} in double, over a dense sweep of float bit
 * patterns (every 61st float in the range, plus the specials), in ulps of the float result.
 */
class VectorMathTest {

    private static final VectorSpecies<Float> FS = VectorMath.SPECIES;

    /** Worst error in float ulps of the reference over floats from {@code lo} to {@code hi} (bit-pattern stride). */
    private static double worstUlp(float lo, float hi, int stride, BiConsumer<MemorySegment, MemorySegment> f, DoubleUnaryOperator ref) {
        int n = FS.length();
        float[] in = new float[n];
        float[] out = new float[n];
        double worst = 0;
        float worstAt = Float.NaN;
        int filled = 0;
        // magnitudes of the negatives from |lo| down to 0, then the positives from 0 up to hi, by bit pattern
        long negFrom = lo < 0 ? Float.floatToRawIntBits(-lo) : -1;
        long posTo = hi >= 0 ? Float.floatToRawIntBits(hi) : -1;
        for (long step = 0; ; step++) {
            long m;
            float x;
            if (negFrom - step * stride >= 0) {
                x = -Float.intBitsToFloat((int) (negFrom - step * stride));
            } else {
                long j = step - (negFrom >= 0 ? negFrom / stride + 1 : 0);
                m = j * stride;
                if (m > posTo) break;
                x = Float.intBitsToFloat((int) m);
                if (x < lo) continue;
            }
            in[filled++] = x;
            if (filled == n) {
                f.accept(MemorySegment.ofArray(in), MemorySegment.ofArray(out));
                for (int i = 0; i < n; i++) {
                    double r = ref.applyAsDouble(in[i]);
                    float rf = (float) r;
                    double ulp = Math.max(Math.ulp(rf), Float.MIN_VALUE);
                    double e = Float.isInfinite(rf) ? (out[i] == rf ? 0 : Double.POSITIVE_INFINITY) : Math.abs(out[i] - r) / ulp;
                    if (e > worst) { worst = e; worstAt = in[i]; }
                }
                filled = 0;
            }
        }
        System.out.printf("worst %.3f ulp at %s%n", worst, worstAt);
        return worst;
    }

    private static void exp(MemorySegment in, MemorySegment out) {
        VectorMath.expNegAbs(in, 0, out, 0, (int) (in.byteSize() / Float.BYTES));
    }

    private static void log1p(MemorySegment in, MemorySegment out) {
        VectorMath.log1pUnit(in, 0, out, 0, (int) (in.byteSize() / Float.BYTES));
    }

    @Test
    void expWithinTwoUlpOnTheNormalRange() {
        assertTrue(worstUlp(-87.33654f, 0f, Integer.getInteger("loss4j.test.mathStride", 61), VectorMathTest::exp, Math::exp) <= 2.0);
    }

    /** Specials, each at every lane position, and at an offset; positive arguments give exp(-x). */
    @Test
    void expSpecialsAtEveryLane() {
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f, -87.33654f, -87.3366f,
                -100f, -1e30f, -1f, -88.7f, 3.5f, 1e-40f};
        int lanes = FS.length();
        for (float x : specials) {
            for (int lane = 0; lane < lanes; lane++) {
                float[] in = new float[lanes + 3];
                java.util.Arrays.fill(in, -2f);
                in[3 + lane] = x;
                float[] out = new float[lanes + 5];
                java.util.Arrays.fill(out, 42f);
                VectorMath.expNegAbs(MemorySegment.ofArray(in), 3, MemorySegment.ofArray(out), 5, lanes);
                double want = Math.exp(-Math.abs(x));
                float got = out[5 + lane];
                boolean ok = Double.isNaN(want) ? Float.isNaN(got)
                        : want < Float.MIN_NORMAL ? got == 0f // flushed: the true value is below 1.2e-38
                        : Math.abs(got - want) <= 2 * Math.ulp((float) want);
                assertTrue(ok, "exp(-|" + x + "|) = " + got + ", want " + want + " (lane " + lane + ")");
                for (int i = 0; i < 5; i++) assertEquals(42f, out[i], "written before the output");
            }
        }
    }

    @Test
    void lengthsThatAreNotWholeVectorsAreRefused() {
        MemorySegment m = MemorySegment.ofArray(new float[64]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> VectorMath.expNegAbs(m, 0, m, 0, FS.length() + 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> VectorMath.log1pUnit(m, 0, m, 0, 3));
    }

    @Test
    void log1pUnitWithinTwoUlpOnZeroToOne() {
        assertTrue(worstUlp(0f, 1f, Integer.getInteger("loss4j.test.mathStride", 7), VectorMathTest::log1p, Math::log1p) <= 2.0);
        float[] in = new float[FS.length()];
        in[1] = Float.NaN;
        in[2] = 1f;
        in[3] = 0.5f;
        in[4] = 1e-30f;
        float[] out = new float[in.length];
        VectorMath.log1pUnit(MemorySegment.ofArray(in), 0, MemorySegment.ofArray(out), 0, in.length);
        assertEquals(0f, out[0]);
        assertTrue(Float.isNaN(out[1]));
        for (int i = 2; i < 5; i++) assertEquals(Math.log1p(in[i]), out[i], 2 * Math.ulp((float) Math.log1p(in[i])));
    }
}

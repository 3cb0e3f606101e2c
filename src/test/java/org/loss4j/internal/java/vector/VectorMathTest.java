package org.loss4j.internal.java.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of {@link VectorMath} against {@code Math.exp}/{@code Math.log1p} in double, over a dense sweep of float bit
 * patterns (every 61st float in the range, plus the specials), in ulps of the float result.
 */
class VectorMathTest {

    private static final VectorSpecies<Float> FS = VectorMath.SPECIES;

    /** Worst error in float ulps of the reference over floats from {@code lo} to {@code hi} (bit-pattern stride). */
    private static double worstUlp(float lo, float hi, int stride, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref) {
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
                f.apply(FloatVector.fromArray(FS, in, 0)).intoArray(out, 0);
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

    @Test
    void expWithinTwoUlpOnTheNormalRange() {
        assertTrue(worstUlp(-87.33654f, 0f, Integer.getInteger("loss4j.test.mathStride", 61), VectorMath::expNonPositive, Math::exp) <= 2.0);
    }

    @Test
    void expSpecials() {
        float[] in = {Float.NaN, Float.NEGATIVE_INFINITY, 0f, -0f, -87.33654f, -87.3366f, -100f, -1e30f, -1f, -88.7f};
        for (float x : in) {
            float got = VectorMath.expNonPositive(FloatVector.broadcast(FS, x)).lane(0);
            double want = Math.exp(x);
            boolean ok = Double.isNaN(want) ? Float.isNaN(got)
                    : want < Float.MIN_NORMAL ? got == 0f // flushed: the true value is below 1.2e-38
                    : Math.abs(got - want) <= 2 * Math.ulp((float) want);
            assertTrue(ok, "exp(" + x + ") = " + got + ", want " + want);
        }
    }

    @Test
    void signBitHelpers() {
        float[] in = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f, -3.5f, 2.25f};
        for (float x : in) {
            FloatVector v = FloatVector.broadcast(FS, x);
            assertEquals(x < 0 ? 0f : x, VectorMath.relu(v).lane(0));
        }
    }

    @Test
    void log1pUnitWithinTwoUlpOnZeroToOne() {
        assertTrue(worstUlp(0f, 1f, Integer.getInteger("loss4j.test.mathStride", 7), VectorMath::log1pUnit, Math::log1p) <= 2.0);
        assertEquals(0f, VectorMath.log1pUnit(FloatVector.zero(FS)).lane(0));
        assertTrue(Float.isNaN(VectorMath.log1pUnit(FloatVector.broadcast(FS, Float.NaN)).lane(0)));
    }
}

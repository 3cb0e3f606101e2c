package org.loss4j.internal.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.java.vector.VectorMath;

/**
 * The softmax rows' float exps ({@code VectorRowKernels.expSumF32}: the two-exp loops with and without the store and
 * the masked tail, five written-out copies of the formula) give exactly {@link VectorMath#expNegAbs}'s bits, whose
 * accuracy {@code VectorMathTest} measures; and the sum without the store is the sum with it.
 */
class VectorRowKernelsTest {

    @Test
    void rowExpsAreVectorMathsBits() {
        RowKernels rk = RowKernels.get();
        assumeTrue(rk.toString().startsWith("vector"), "jdk.incubator.vector is not in this run: " + rk);
        int lanes = VectorMath.SPECIES.length();
        Random rnd = new Random(20261123);
        int[] lengths = new int[3 * lanes + 4 + 3];
        for (int i = 0; i < 3 * lanes + 4; i++) lengths[i] = i + 1;
        lengths[3 * lanes + 4] = 1000;
        lengths[3 * lanes + 5] = 1000003 % 4099;
        lengths[3 * lanes + 6] = 4 * lanes;
        for (int n : lengths) {
            int off = rnd.nextInt(5);
            float[] x = new float[off + n];
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                // spread over exp's whole range, with specials: -inf (e = 0), very negative (flushed), and the max
                float v = switch (rnd.nextInt(20)) {
                    case 0 -> Float.NEGATIVE_INFINITY;
                    case 1 -> -95f;
                    default -> (float) (rnd.nextGaussian() * 20);
                };
                x[off + i] = v;
                m = Math.max(m, v);
            }
            if (m == Float.NEGATIVE_INFINITY) m = 0;
            int padded = (n + lanes - 1) / lanes * lanes;
            float[] y = new float[padded];
            for (int i = 0; i < n; i++) y[i] = x[off + i] - m; // the float subtraction the rows do
            float[] want = new float[padded];
            VectorMath.expNegAbs(MemorySegment.ofArray(y), 0, MemorySegment.ofArray(want), 0, padded);

            float[] e = new float[n + 7];
            double stored = rk.expSumF32(MemorySegment.ofArray(x), off, n, m, MemorySegment.ofArray(e), 7);
            double plain = rk.expSumF32(MemorySegment.ofArray(x), off, n, m, null, 0);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(e[7 + i]),
                        "n=" + n + " i=" + i + ": exp(" + y[i] + ") = " + e[7 + i] + ", VectorMath gives " + want[i]);
                sum += e[7 + i];
            }
            assertEquals(stored, plain, 0.0, "n=" + n + ": the sums with and without the store");
            assertEquals(sum, stored, 1e-6 * sum, "n=" + n + ": the sum");
        }
    }
}

package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.MSELoss;

/**
 * Calls large enough to be split over threads ({@code loss4j.parallel.minElements}) give the sequential answer:
 * every element's term and gradient exactly, the sum up to summation order. Covers the float32 pair kernels, the
 * generic float64 loop and the per-element (reduction none) output.
 */
class ParallelPointwiseTest {

    private static final int N = 1_000_003; // odd: the chunks do not end on vector boundaries

    @Test
    void splitCallsMatchTheSequentialResult() {
        Random r = new Random(7);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double[] a = new double[N];
            double[] b = new double[N];
            for (int i = 0; i < N; i++) {
                a[i] = r.nextGaussian();
                b[i] = r.nextGaussian();
                if (dt == DType.F32) {
                    a[i] = (float) a[i];
                    b[i] = (float) b[i];
                }
            }
            Tensor x = Tensor.of(dt, a, N);
            Tensor y = Tensor.of(dt, b, N);
            double expected = 0;
            for (int i = 0; i < N; i++) {
                double d = a[i] - b[i];
                expected += dt == DType.F32 ? (double) ((float) d * (float) d) : d * d;
            }
            LossResult sum = MSELoss.builder().reduction(Reduction.SUM).backend(Backends.java()).build().forwardBackward(x, y);
            double got = sum.loss().item();
            double tol = dt == DType.F32 ? 1e-6 : 1e-12;
            assertTrue(Math.abs(got - expected) <= tol * expected, dt + " sum " + got + " vs " + expected);
            Tensor gx = sum.gradInput();
            Tensor gy = sum.grad("target");
            Tensor none = MSELoss.builder().reduction(Reduction.NONE).backend(Backends.java()).build().forward(x, y);
            for (int i = 0; i < N; i++) {
                double t = 2 * (a[i] - b[i]);
                double want = dt == DType.F32 ? (float) t : t;
                assertEquals(want, gx.getDouble(i), dt + " grad input at " + i);
                assertEquals(dt == DType.F32 ? (float) -t : -t, gy.getDouble(i), dt + " grad target at " + i);
                double d = a[i] - b[i];
                double term = dt == DType.F32 ? (float) d * (float) d : d * d;
                assertEquals(term, none.getDouble(i), dt + " term at " + i);
            }
        }
    }
}

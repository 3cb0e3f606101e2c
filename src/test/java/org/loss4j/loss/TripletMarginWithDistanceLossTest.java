package org.loss4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.loss.TripletMarginWithDistanceLoss.Distance;

/**
 * User distance functions, which PyTorch vectors cannot reach: a user L1 distance must agree with the built-in
 * p-norm path of TripletMarginLoss (p = 1, eps = 0), forward and backward; without a gradient it is forward only.
 */
class TripletMarginWithDistanceLossTest {

    private static final long N = 5;
    private static final long D = 3;

    /** Row-wise L1 distance of (N, D) tensors. */
    private static Tensor l1(Tensor x1, Tensor x2) {
        Tensor out = Tensor.zeros(x1.dtype(), x1.size(0));
        for (long n = 0; n < x1.size(0); n++) {
            double s = 0;
            for (long k = 0; k < x1.size(1); k++) s += Math.abs(x1.getDouble(n * D + k) - x2.getDouble(n * D + k));
            out.setDouble(n, s);
        }
        return out;
    }

    private static Tensor[] l1Gradient(Tensor x1, Tensor x2, Tensor g) {
        Tensor g1 = Tensor.zeros(x1.dtype(), x1.shape());
        Tensor g2 = Tensor.zeros(x1.dtype(), x1.shape());
        for (long n = 0; n < x1.size(0); n++) {
            for (long k = 0; k < x1.size(1); k++) {
                double v = Math.signum(x1.getDouble(n * D + k) - x2.getDouble(n * D + k)) * g.getDouble(n);
                g1.setDouble(n * D + k, v);
                g2.setDouble(n * D + k, -v);
            }
        }
        return new Tensor[] {g1, g2};
    }

    private static Tensor random(long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] v = new double[(int) (N * D)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Tensor.of(v, N, D);
    }

    private final Tensor a = random(1);
    private final Tensor p = random(2);
    private final Tensor n = random(3);

    @Test
    void userDistanceWithGradientMatchesBuiltinNorm() {
        for (boolean swap : new boolean[] {false, true}) {
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                TripletMarginLoss ref = TripletMarginLoss.builder().p(1).eps(0).swap(swap).margin(2).reduction(red).build();
                TripletMarginWithDistanceLoss user = TripletMarginWithDistanceLoss.builder()
                        .distanceFunction(Distance.of(TripletMarginWithDistanceLossTest::l1,
                                TripletMarginWithDistanceLossTest::l1Gradient))
                        .swap(swap).margin(2).reduction(red).build();
                LossResult want = ref.forwardBackward(a, p, n);
                LossResult got = user.forwardBackward(a, p, n);
                assertEquals(want.loss().item(), got.loss().item(), 1e-12);
                for (String arg : user.argumentNames()) {
                    assertArrayEquals(want.grad(arg).toDoubleArray(), got.grad(arg).toDoubleArray(), 1e-12, arg);
                }
            }
        }
    }

    @Test
    void userDistanceWithoutGradientIsForwardOnly() {
        TripletMarginWithDistanceLoss loss = TripletMarginWithDistanceLoss.builder()
                .distanceFunction(TripletMarginWithDistanceLossTest::l1).reduction("none").build();
        Tensor ref = TripletMarginLoss.builder().p(1).eps(0).reduction("none").build().forward(a, p, n);
        assertArrayEquals(ref.toDoubleArray(), loss.forward(a, p, n).toDoubleArray(), 1e-12);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> loss.backward(Tensor.zeros(DType.F64, N), a, p, n));
        assertTrue(e.getMessage().contains("no gradient"), e.getMessage());
        assertTrue(loss.explain(a, p, n).contains("pointwise"), loss.explain(a, p, n));
    }

    @Test
    void fromOptionsTakesADistanceOrAName() {
        Distance f = TripletMarginWithDistanceLossTest::l1;
        Loss byObject = Losses.fromPyTorch("TripletMarginWithDistanceLoss", Map.of("distance_function", f, "margin", 0.5));
        assertEquals(f, ((TripletMarginWithDistanceLoss) byObject).distanceFunction());
        Loss byName = Losses.fromPyTorch("TripletMarginWithDistanceLoss", Map.of("distance_function", "cosine"));
        assertEquals(Distance.cosine(), ((TripletMarginWithDistanceLoss) byName).distanceFunction());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.fromPyTorch("TripletMarginWithDistanceLoss", Map.of("distance_function", 3)));
        assertTrue(e.getMessage().contains("distance_function"), e.getMessage());
    }

    @Test
    void builtinDistancesStandaloneMatchTheLossPath() {
        // d(a, p) through the standalone built-in equals the loss's positive distance when the negative is far away
        Tensor far = Tensor.zeros(DType.F64, N, D);
        for (long i = 0; i < N * D; i++) far.setDouble(i, 1e3);
        for (Distance d : new Distance[] {Distance.pairwise(), Distance.pairwise(3, 1e-3)}) {
            Tensor direct = d.distance(a, p);
            Tensor viaLoss = TripletMarginWithDistanceLoss.builder().distanceFunction(d).margin(1e4).reduction("none").build()
                    .forward(a, p, far);
            Tensor dn = d.distance(a, far);
            for (int i = 0; i < N; i++) {
                assertEquals(1e4 + direct.getDouble(i) - dn.getDouble(i), viaLoss.getDouble(i), 1e-9);
            }
            Tensor g = Tensor.zeros(DType.F64, N);
            for (int i = 0; i < N; i++) g.setDouble(i, 1);
            Tensor[] grads = d.gradient(a, p, g);
            assertArrayEquals(new long[] {N, D}, grads[0].shape());
        }
    }
}

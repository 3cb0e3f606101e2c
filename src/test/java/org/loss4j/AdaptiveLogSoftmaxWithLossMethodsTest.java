package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.loss4j.internal.vectors.Tolerance;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.loss.AdaptiveLogSoftmaxWithLoss;
import org.loss4j.loss.Losses;

/**
 * {@link AdaptiveLogSoftmaxWithLoss#logProb} and {@link AdaptiveLogSoftmaxWithLoss#predict} against PyTorch's
 * {@code log_prob} and {@code predict}, recorded as the {@code log_prob()} and {@code predict()} extras of the vectors.
 */
class AdaptiveLogSoftmaxWithLossMethodsTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (VectorCase c : PyTorchVectorTest.vectors().cases("AdaptiveLogSoftmaxWithLoss")) {
                if (!c.expectsError() && c.extras().containsKey("log_prob()")) out.add(Arguments.of(b, c));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logProbAndPredictMatchPyTorch(Backend backend, VectorCase c) {
        AdaptiveLogSoftmaxWithLoss asm = (AdaptiveLogSoftmaxWithLoss) Losses.fromPyTorch(c.loss(), c.options()).on(backend);
        Tensor input = c.args()[0];
        Tensor[] weights = Arrays.copyOfRange(c.args(), 2, c.args().length);

        Tensor expected = c.extras().get("log_prob()");
        Tensor actual = asm.logProb(input, weights);
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        Tolerance tol = c.tolerance() != null ? c.tolerance() : Tolerance.of(expected.dtype());
        for (long i = 0; i < expected.numel(); i++) {
            long at = i;
            assertTrue(tol.accepts(actual.getDouble(i), expected.getDouble(i)),
                    () -> c.name() + " log_prob element " + at + ": " + actual.getDouble(at) + ", PyTorch " + expected.getDouble(at));
        }

        Tensor predicted = asm.predict(input, weights);
        Tensor want = c.extras().get("predict()");
        assertEquals(DType.I64, predicted.dtype());
        assertArrayEquals(want.toLongArray(), predicted.toLongArray(), c.name() + " predict");
    }

    /** The allocation-free call computes any single gradient alone (the others are skipped), matching PyTorch's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("singleGradientCases")
    void eachGradientAloneMatchesPyTorch(String caseName) {
        VectorCase c = PyTorchVectorTest.vectors().cases("AdaptiveLogSoftmaxWithLoss").stream()
                .filter(v -> v.name().equals(caseName)).findFirst().orElseThrow();
        AdaptiveLogSoftmaxWithLoss asm = (AdaptiveLogSoftmaxWithLoss) Losses.fromPyTorch(c.loss(), c.options());
        Tolerance tol = Tolerance.of(c.output().dtype());
        List<String> names = asm.argumentNames();
        for (int j = 0; j < names.size(); j++) {
            Tensor want = c.grads().get(names.get(j));
            if (want == null) continue;
            Tensor[] grads = new Tensor[names.size()];
            Tensor got = Tensor.zeros(want.dtype(), want.shape());
            grads[j] = got;
            Tensor out = Tensor.zeros(c.output().dtype());
            asm.forwardBackwardInto(out, grads, c.gradOutput(), c.args());
            assertTrue(tol.accepts(out.item(), c.output().item()), caseName + " loss");
            for (long i = 0; i < want.numel(); i++) {
                long at = i;
                String name = names.get(j);
                assertTrue(tol.accepts(got.getDouble(i), want.getDouble(i)),
                        () -> caseName + " grad " + name + " element " + at + ": " + got.getDouble(at) + ", PyTorch " + want.getDouble(at));
            }
        }
    }

    static Stream<String> singleGradientCases() {
        return Stream.of("AdaptiveLogSoftmaxWithLoss_head_bias_3cutoffs_f64", "AdaptiveLogSoftmaxWithLoss_head_bias_3cutoffs_f32",
                "AdaptiveLogSoftmaxWithLoss_unbatched_cluster1_f64", "AdaptiveLogSoftmaxWithLoss_only_last_cluster_f64");
    }

    @Test
    void everyVectorWithTwoDimensionalInputRecordsTheMethods() {
        long n = cases().count();
        assertTrue(n >= 20, "only " + n + " log_prob()/predict() vectors");
    }

    @Test
    void argumentNamesFollowTheOptions() {
        AdaptiveLogSoftmaxWithLoss asm = AdaptiveLogSoftmaxWithLoss.builder().inFeatures(16).nClasses(30).cutoffs(4, 10, 20)
                .headBias(true).build();
        assertEquals(List.of("input", "target", "head_weight", "head_bias", "tail_0_0_weight", "tail_0_1_weight",
                "tail_1_0_weight", "tail_1_1_weight", "tail_2_0_weight", "tail_2_1_weight"), asm.argumentNames());
        assertEquals(List.of("head_weight [7, 16]", "head_bias [7]", "tail_0_0_weight [4, 16]", "tail_0_1_weight [6, 4]",
                "tail_1_0_weight [1, 16]", "tail_1_1_weight [10, 1]", "tail_2_0_weight [0, 16]", "tail_2_1_weight [10, 0]"),
                asm.weightShapes());
        // Python's float floor division: 1 // 0.1 == 9, not 10
        assertEquals(List.of("head_weight [2, 1]", "tail_0_0_weight [9, 1]", "tail_0_1_weight [2, 9]"),
                AdaptiveLogSoftmaxWithLoss.builder().inFeatures(1).nClasses(3).cutoffs(1).divValue(0.1).build().weightShapes());
    }

    @Test
    void optionsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdaptiveLogSoftmaxWithLoss.builder().build());
        assertTrue(e.getMessage().contains("in_features"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AdaptiveLogSoftmaxWithLoss.builder().inFeatures(4).nClasses(10).cutoffs(3).reduction(Reduction.SUM).build());
        assertTrue(e.getMessage().contains("reduction"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AdaptiveLogSoftmaxWithLoss.create(4, 10, 3, 3));
        assertTrue(e.getMessage().contains("cutoffs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.fromPyTorch("AdaptiveLogSoftmaxWithLoss",
                Map.of("in_features", 4L, "n_classes", 10L)));
        assertTrue(e.getMessage().contains("cutoffs"), e.getMessage());
    }

    @Test
    void methodsCheckTheirArguments() {
        AdaptiveLogSoftmaxWithLoss asm = AdaptiveLogSoftmaxWithLoss.create(4, 10, 3);
        Tensor hw = Tensor.zeros(DType.F32, 4, 4);
        Tensor t0 = Tensor.zeros(DType.F32, 1, 4);
        Tensor t1 = Tensor.zeros(DType.F32, 7, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> asm.logProb(Tensor.zeros(DType.F32, 4), hw, t0, t1));
        assertTrue(e.getMessage().contains("(N, in_features)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> asm.predict(Tensor.zeros(DType.F32, 2, 4), hw, t0));
        assertTrue(e.getMessage().contains("tail_0_1_weight"), e.getMessage());
        // zero weights: the head is uniform over its 4 entries, the cluster over its 7 classes; ties go to the first
        Tensor lp = asm.logProb(Tensor.zeros(DType.F32, 2, 4), hw, t0, t1);
        assertEquals(Math.log(0.25), lp.getDouble(0), 1e-6);
        assertEquals(Math.log(0.25 / 7), lp.getDouble(9), 1e-6);
        assertArrayEquals(new long[] {0, 0}, asm.predict(Tensor.zeros(DType.F32, 2, 4), hw, t0, t1).toLongArray());
    }
}

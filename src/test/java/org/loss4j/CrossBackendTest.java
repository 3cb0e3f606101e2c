package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.loss4j.internal.vectors.Tolerance;
import org.loss4j.internal.vectors.VectorRunner;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * Every backend against the Java reference on awkward sizes (1, 7, 13, 1000003) that hit loop tails and
 * thresholds, forward and every gradient, for every loss (Lucene's BaseVectorizationTestCase idea). With only the
 * Java backend present the comparison is skipped with that reason, and the Java backend's own call paths are
 * compared instead (forward vs fused forward+backward), which still runs every loss at every size.
 */
class CrossBackendTest {

    static final long[] SIZES = {1, 7, 13, 1_000_003};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String loss : Losses.NAMES) {
            for (long n : SIZES) {
                for (DType dt : new DType[] {DType.F32, DType.F64}) {
                    if (n > 1000 && dt == DType.F64) continue; // the large size once, in float32
                    out.add(Arguments.of(loss, n, dt));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} n={1} {2}")
    @MethodSource("cases")
    void backendsAgreeWithJava(String lossName, long n, DType dt) {
        for (String reduction : new String[] {"mean", "none"}) {
            RandomInputs.Sample s = new RandomInputs(31 * n + lossName.hashCode(), dt).sample(lossName, n, reduction);
            if (lossName.equals("AdaptiveLogSoftmaxWithLoss") && reduction.equals("none")) continue;
            Loss java = Losses.fromPyTorch(lossName, s.options()).on(Backends.java());
            LossResult ref = java.backward(gradOutputFor(java, s), s.args());
            assertEquals(ref.loss().toDoubleArray().length, java.forward(s.args()).numel());
            assertTrue(java.forward(s.args()).numel() == ref.loss().numel());
            List<Backend> others = Backends.available().stream().filter(b -> b != Backends.java()).toList();
            assumeTrue(!others.isEmpty(), "only the Java backend is present: nothing to compare it with");
            for (Backend b : others) {
                // CUDA backends: arguments copied to the device, results copied back (VectorRunner's helpers)
                Tensor go = gradOutputFor(java, s);
                Tensor[] goDev = VectorRunner.onDevice(new Tensor[] {go}, b);
                LossResult r = Losses.fromPyTorch(lossName, s.options()).on(b).backward(goDev[0], VectorRunner.onDevice(s.args(), b));
                assertClose(b.name() + " " + lossName + " loss", VectorRunner.host(r.loss()), ref.loss(), Tolerance.of(dt));
                for (Map.Entry<String, Tensor> e : ref.gradients().entrySet()) {
                    assertClose(b.name() + " " + lossName + " grad " + e.getKey(), VectorRunner.host(r.grad(e.getKey())),
                            e.getValue(), Tolerance.of(dt));
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void cudaIsComparedWhereAvailable() {
        Backend cuda = Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        if (!cuda.isAvailable()) {
            System.out.println("[CrossBackendTest] cuda skipped: " + cuda.unavailableReason());
        }
        assumeTrue(cuda.isAvailable(), () -> "cuda unavailable: " + cuda.unavailableReason());
    }

    static Tensor gradOutputFor(Loss loss, RandomInputs.Sample s) {
        Tensor out = loss.forward(s.args());
        if (out.dim() == 0) return null;
        Tensor g = Tensor.zeros(out.dtype(), out.shape());
        for (long i = 0; i < g.numel(); i++) g.setDouble(i, 1.0 - (i % 3) * 0.5);
        return g;
    }

    static void assertClose(String what, Tensor actual, Tensor expected, Tolerance tol) {
        assertEquals(expected.numel(), actual.numel(), what + ": size");
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i), e = expected.getDouble(i);
            if (!tol.accepts(a, e)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", Java reference " + e);
            }
        }
    }
}

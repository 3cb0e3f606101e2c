package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.cuda.CudaContext;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.internal.vectors.VectorRunner;
import org.loss4j.loss.CTCLoss;
import org.loss4j.loss.CrossEntropyLoss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.MSELoss;
import org.loss4j.loss.NLLLoss;

/**
 * The CUDA backend's device plumbing on an emulated device ({@code -Dloss4j.cuda.emulate=true}: "device" memory is
 * host memory, every op host-staged; the pom's {@code cuda-emulated} surefire execution runs this class so): device
 * tensors, arenas, copies, both execution paths (on the device for pointwise losses, host-staged for the rest),
 * outputs and gradients into caller device tensors, explain, and every PyTorch vector with its arguments copied to
 * the device. The kernels themselves need a GPU: the GPU suite (README, section CUDA) runs the same vectors there.
 */
class CudaEmulatedTest {

    static final Device GPU = Device.cuda(0);

    @BeforeEach
    void emulatedOnly() {
        if (!CudaContext.EMULATED) {
            String why = "runs only with -Dloss4j.cuda.emulate=true (the pom's cuda-emulated execution)";
            System.out.println("[CudaEmulatedTest] skipped here: " + why);
            Assumptions.abort(why);
        }
    }

    @Test
    void roundTripAndArena() {
        Tensor h = Tensor.of(new double[] {1, -2, 3.5}, 3);
        Tensor d;
        try (CudaArena arena = CudaArena.open(GPU)) {
            d = h.copyTo(arena);
            assertEquals(GPU, d.device());
            assertArrayEquals(h.toDoubleArray(), d.toHost().toDoubleArray());
            Tensor z = Tensor.zeros(arena, DType.F32, 2, 2);
            assertArrayEquals(new double[4], z.toHost().toDoubleArray());
            assertThrows(IllegalStateException.class, () -> d.getDouble(0));
        }
        assertThrows(IllegalStateException.class, d::toHost);
        assertThrows(IllegalStateException.class, d::deviceAddress);
        Tensor auto = h.copyTo(GPU);
        assertArrayEquals(h.toDoubleArray(), auto.copy().toHost().toDoubleArray());
    }

    @Test
    void pointwiseLossRunsOnTheDeviceIntoCallerTensors() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {0, 2, 5, 4, -1, 6.5f}, 2, 3);
        LossResult ref = MSELoss.create().on(Backends.java()).forwardBackward(a, b);
        MSELoss mse = MSELoss.create();
        try (CudaArena arena = CudaArena.open(GPU)) {
            Tensor da = a.copyTo(arena), db = b.copyTo(arena);
            assertTrue(mse.explain(da, db).contains("on the device; pointwise="), mse.explain(da, db));
            LossResult r = mse.forwardBackward(da, db);
            assertEquals(GPU, r.loss().device());
            assertEquals(ref.loss().item(), r.loss().toHost().item(), 0);
            assertArrayEquals(ref.grad("input").toDoubleArray(), r.grad("input").toHost().toDoubleArray(), 0);
            Tensor out = Tensor.zeros(arena, DType.F32);
            Tensor gin = Tensor.zeros(arena, DType.F32, 2, 3);
            mse.forwardBackwardInto(out, new Tensor[] {gin, null}, null, da, db);
            assertEquals(ref.loss().item(), out.toHost().item(), 0);
            assertArrayEquals(ref.grad("input").toDoubleArray(), gin.toHost().toDoubleArray(), 0);
            // reduction none with a device upstream gradient
            Tensor go = Tensor.of(new float[] {1, 0.5f, -1, 2, 0, 1}, 2, 3);
            MSELoss none = MSELoss.builder().reduction(Reduction.NONE).build();
            LossResult rn = none.backward(go.copyTo(arena), da, db);
            LossResult refN = none.on(Backends.java()).backward(go, a, b);
            assertArrayEquals(refN.loss().toDoubleArray(), rn.loss().toHost().toDoubleArray(), 0);
            assertArrayEquals(refN.grad("target").toDoubleArray(), rn.grad("target").toHost().toDoubleArray(), 0);
            // validation on device tensors: shapes and dtypes only, same messages
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> mse.forward(da, Tensor.zeros(arena, DType.F64, 2, 3)));
            assertTrue(x.getMessage().contains("target"), x.getMessage());
            // outputs on the wrong device
            x = assertThrows(IllegalArgumentException.class, () -> mse.forwardInto(Tensor.zeros(DType.F32), da, db));
            assertTrue(x.getMessage().contains("out is on cpu") && x.getMessage().contains("cuda:0"), x.getMessage());
        }
    }

    @Test
    void classTargetLossesRunOnTheDeviceWithTargetsValidatedOnTheHost() {
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 0, -1, 4}, 2, 3);
        Tensor target = Tensor.of(new long[] {2, 0});
        CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
        LossResult ref = ce.on(Backends.java()).forwardBackward(logits, target);
        try (CudaArena arena = CudaArena.open(GPU)) {
            Tensor dl = logits.copyTo(arena), dt = target.copyTo(arena);
            String explain = ce.explain(dl, dt);
            // the loss runs on the device; emulated, its softmax group is served through the host
            assertTrue(explain.contains("on the device") && explain.contains("copied to the host for validation")
                    && explain.contains("emulated device"), explain);
            LossResult r = ce.forwardBackward(dl, dt);
            assertEquals(ref.loss().item(), r.loss().toHost().item(), 0);
            assertArrayEquals(ref.grad("input").toDoubleArray(), r.grad("input").toHost().toDoubleArray(), 0);
            Tensor bad = Tensor.of(new long[] {2, 7}).copyTo(arena);
            IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class, () -> ce.forward(dl, bad));
            assertTrue(x.getMessage().contains("7"), x.getMessage());
            Tensor gin = Tensor.zeros(arena, DType.F32, 2, 3);
            ce.forwardBackwardInto(null, new Tensor[] {gin, null}, null, dl, dt);
            assertArrayEquals(ref.grad("input").toDoubleArray(), gin.toHost().toDoubleArray(), 0);
        }
        // class-probability targets: the whole loss is host-staged
        Tensor probs = Tensor.of(new float[] {0.2f, 0.3f, 0.5f, 1, 0, 0}, 2, 3);
        LossResult refP = ce.on(Backends.java()).forwardBackward(logits, probs);
        try (CudaArena arena = CudaArena.open(GPU)) {
            Tensor dl = logits.copyTo(arena), dp = probs.copyTo(arena);
            String explain = ce.explain(dl, dp);
            assertTrue(explain.contains("host-staged") && explain.contains("class-probability"), explain);
            LossResult r = ce.forwardBackward(dl, dp);
            assertEquals(refP.loss().item(), r.loss().toHost().item(), 0);
            assertArrayEquals(refP.grad("target").toDoubleArray(), r.grad("target").toHost().toDoubleArray(), 0);
        }
        // NLLLoss with weights, ignore_index and int32 targets, reduction none, on the device
        Tensor lp = Tensor.of(new double[] {-1, -2, -0.5, -3, -0.1, -2.5, -0.7, -0.9, -4}, 3, 3);
        Tensor t32 = Tensor.of(new int[] {2, -100, 0});
        NLLLoss nll = NLLLoss.builder().weight(Tensor.of(new double[] {0.5, 2, 1})).reduction(Reduction.NONE).build();
        Tensor go = Tensor.of(new double[] {1, 2, 3});
        LossResult refN = nll.on(Backends.java()).backward(go, lp, t32);
        try (CudaArena arena = CudaArena.open(GPU)) {
            Tensor dlp = lp.copyTo(arena), dt = t32.copyTo(arena);
            assertTrue(nll.explain(dlp, dt).contains("on the device"), nll.explain(dlp, dt));
            LossResult r = nll.backward(go.copyTo(arena), dlp, dt);
            assertArrayEquals(refN.loss().toDoubleArray(), r.loss().toHost().toDoubleArray(), 0);
            assertArrayEquals(refN.grad("input").toDoubleArray(), r.grad("input").toHost().toDoubleArray(), 0);
            IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class,
                    () -> nll.forward(dlp, Tensor.of(new int[] {2, 3, 0}).copyTo(arena)));
            assertTrue(x.getMessage().contains("position 1"), x.getMessage());
        }
        assertTrue(CTCLoss.create().explain(Tensor.zeros(GPU, DType.F32, 4, 1, 3), Tensor.zeros(GPU, DType.I64, 1, 2),
                Tensor.zeros(GPU, DType.I64, 1), Tensor.zeros(GPU, DType.I64, 1)).contains("ctc host-staged: emulated device"));
    }

    @Test
    void stagedPropertyForcesGroupsOntoTheHost() {
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 0, -1, 4}, 2, 3);
        Tensor target = Tensor.of(new long[] {2, 0});
        String before = System.getProperty(CudaBackend.STAGED_PROPERTY);
        try (CudaArena arena = CudaArena.open(GPU)) {
            Tensor dl = logits.copyTo(arena), dt = target.copyTo(arena);
            CrossEntropyLoss ce = CrossEntropyLoss.create();
            MSELoss mse = MSELoss.create();
            System.setProperty(CudaBackend.STAGED_PROPERTY, "softmax,ctc");
            assertTrue(CudaBackend.staged("softmax") && CudaBackend.staged("ctc") && !CudaBackend.staged("pointwise"));
            assertTrue(ce.explain(dl, dt).contains("host-staged") && ce.explain(dl, dt).contains("names softmax"),
                    ce.explain(dl, dt));
            assertTrue(mse.explain(dl, dl).contains("on the device"), mse.explain(dl, dl));
            assertEquals(ce.on(Backends.java()).forward(logits, target).item(), ce.forward(dl, dt).toHost().item(), 0);
            System.setProperty(CudaBackend.STAGED_PROPERTY, "true");
            assertTrue(CudaBackend.staged("linear") && mse.explain(dl, dl).contains("host-staged"), mse.explain(dl, dl));
        } finally {
            if (before == null) System.clearProperty(CudaBackend.STAGED_PROPERTY);
            else System.setProperty(CudaBackend.STAGED_PROPERTY, before);
        }
    }

    @Test
    void gpuSuiteCommandPassesOnTheEmulatedDevice() {
        assertEquals(0, org.loss4j.cli.Main.run("gpu-suite", "--max-size", "300", "--vectors", "test-vectors/data"));
    }

    @Test
    void everyPyTorchVectorOnCudaTensors() {
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (VectorCase c : PyTorchVectorTest.vectors().all()) {
            VectorRunner.Outcome o = VectorRunner.run(c, CudaBackend.INSTANCE);
            n++;
            if (!o.passed()) failures.add(c.name() + ": " + o.detail());
        }
        System.out.println("[CudaEmulatedTest] " + (n - failures.size()) + "/" + n + " vectors pass on emulated cuda:0");
        assertTrue(failures.isEmpty(), failures.size() + " failures, e.g. " + failures.subList(0, Math.min(10, failures.size())));
    }
}

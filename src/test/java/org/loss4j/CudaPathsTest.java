package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.cuda.CudaContext;

/**
 * Which path the CUDA backend takes (native or host-staged, and why), decided without a GPU: device tensors here wrap
 * fake addresses that are never dereferenced; targets and lengths are host tensors, as the losses hand them to the
 * op groups after copying them to the host for validation.
 */
class CudaPathsTest {

    private static final Device GPU = Device.cuda(0);
    private static final long FAKE = 0x7f00_0000_0000L;

    private static Tensor dev(DType dt, long... shape) {
        return Tensor.wrapDevice(FAKE, dt, GPU, shape);
    }

    @Test
    void ctcPathFollowsCudnnLimits() {
        Assumptions.assumeFalse(CudaContext.EMULATED, "emulated: every op is host-staged");
        Tensor lp = dev(DType.F32, 10, 2, 5);
        Tensor il = Tensor.of(new long[] {10, 6});
        Tensor tl = Tensor.of(new long[] {3, 2});
        Tensor targets = Tensor.of(new long[] {1, 2, 3, 4, 4}); // item 1 repeats a label: needs 2 + 1 frames
        assertNull(CudaBackend.ctcStagedBecause(lp, targets, il, tl, 0));
        assertTrue(CudaBackend.ctcStagedBecause(lp, targets, il, tl, 1).contains("blank = 0"));
        assertTrue(CudaBackend.ctcStagedBecause(dev(DType.F64, 10, 2, 5), targets, il, tl, 0).contains("float32"));
        Tensor shortIl = Tensor.of(new long[] {10, 2});
        String why = CudaBackend.ctcStagedBecause(lp, targets, shortIl, tl, 0);
        assertTrue(why.contains("item 1") && why.contains("1 repeats"), why);
        Tensor padded = Tensor.zeros(DType.I64, 2, 300);
        String longTarget = CudaBackend.ctcStagedBecause(dev(DType.F32, 400, 2, 5), padded,
                Tensor.of(new long[] {400, 400}), Tensor.of(new long[] {256, 1}), 0);
        assertTrue(longTarget.contains("256"), longTarget);
    }

    @Test
    void stagedPropertyAndSoftmaxLimits() {
        Assumptions.assumeFalse(CudaContext.EMULATED, "emulated: every op is host-staged");
        assertNull(CudaBackend.softmaxStagedBecause(32, 1000, 1));
        assertTrue(CudaBackend.softmaxStagedBecause(1L << 20, 1L << 12, 1).contains("2^31"));
        String before = System.getProperty(CudaBackend.STAGED_PROPERTY);
        try {
            System.setProperty(CudaBackend.STAGED_PROPERTY, "softmax, CTC");
            assertTrue(CudaBackend.staged("softmax") && CudaBackend.staged("ctc"));
            assertFalse(CudaBackend.staged("linear") || CudaBackend.staged("pointwise"));
            assertTrue(CudaBackend.softmaxStagedBecause(2, 3, 1).contains("names softmax"));
            assertTrue(CudaBackend.ctcStagedBecause(dev(DType.F32, 4, 1, 3), Tensor.of(new long[] {1}),
                    Tensor.of(new long[] {4}), Tensor.of(new long[] {1}), 0).contains("names ctc"));
            System.setProperty(CudaBackend.STAGED_PROPERTY, "all");
            for (String g : CudaBackend.NATIVE_GROUPS) assertTrue(CudaBackend.staged(g), g);
            System.setProperty(CudaBackend.STAGED_PROPERTY, "false");
            for (String g : CudaBackend.NATIVE_GROUPS) assertFalse(CudaBackend.staged(g), g);
        } finally {
            if (before == null) System.clearProperty(CudaBackend.STAGED_PROPERTY);
            else System.setProperty(CudaBackend.STAGED_PROPERTY, before);
        }
        assertEquals(4, CudaBackend.NATIVE_GROUPS.size());
    }
}

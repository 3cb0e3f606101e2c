package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.cuda.CudaContext;
import org.loss4j.internal.cuda.CudaRuntime;
import org.loss4j.loss.CrossEntropyLoss;
import org.loss4j.loss.MSELoss;

/**
 * CUDA tensors without a GPU: wrapping a device pointer never dereferences it, host access is refused naming the
 * device, wrong-device calls name the argument and both devices, and allocation or copies report why CUDA cannot run.
 * (The same API with working memory is exercised by {@link CudaEmulatedTest} and, on a GPU, by the GPU suite.)
 */
class CudaTensorTest {

    /** A plausible device address that must never be read: reading it would crash the JVM. */
    private static final long FAKE = 0x7f00_dead_0000L;

    private static void assumeNoGpu() {
        String why = CudaContext.EMULATED ? "the CUDA device is emulated in this JVM"
                : CudaRuntime.get().gpuUnavailableReason() == null ? "this machine has a usable GPU" : null;
        if (why != null) {
            System.out.println("[CudaTensorTest] skipped: " + why);
            Assumptions.abort(why);
        }
    }

    private static void refused(String what, org.junit.jupiter.api.function.Executable e) {
        IllegalStateException x = assertThrows(IllegalStateException.class, e, what);
        assertTrue(x.getMessage().contains("cuda:0"), what + ": " + x.getMessage());
    }

    @Test
    void wrapDeviceIsAViewThatTheHostNeverReads() {
        Tensor t = Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), 2, 3);
        assertEquals(Device.cuda(0), t.device());
        assertTrue(t.isCuda());
        assertEquals(FAKE, t.deviceAddress());
        assertEquals(6, t.numel());
        assertEquals(24, t.byteSize());
        assertTrue(t.isAlive());
        assertEquals("Tensor[float32, [2, 3], cuda:0]", t.toString());
        assertEquals(Device.cuda(0), t.reshape(3, 2).device());
        refused("segment", t::segment);
        refused("getDouble", () -> t.getDouble(0));
        refused("getLong", () -> t.getLong(0));
        refused("setDouble", () -> t.setDouble(0, 1));
        refused("item", () -> t.reshape(6).item());
        refused("toDoubleArray", t::toDoubleArray);
        refused("toFloatArray", t::toFloatArray);
        refused("toLongArray", t::toLongArray);
        assertThrows(IllegalStateException.class, () -> Tensor.of(new float[] {1}).deviceAddress());
    }

    @Test
    void wrapDeviceValidates() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tensor.wrapDevice(FAKE, DType.F32, Device.CPU, 2))
                .getMessage().contains("CUDA device"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tensor.wrapDevice(0, DType.F64, Device.cuda(1), 4))
                .getMessage().contains("NULL"));
        assertDoesNotThrow(() -> Tensor.wrapDevice(0, DType.F64, Device.cuda(0), 0)); // empty: no memory needed
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), -1));
    }

    @Test
    void copiesAndAllocationWithoutAGpuGiveTheReason() {
        assumeNoGpu();
        String reason = CudaRuntime.get().gpuUnavailableReason();
        Tensor d = Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), 4);
        for (org.junit.jupiter.api.function.Executable e : new org.junit.jupiter.api.function.Executable[] {
                d::toHost, () -> d.copyTo(Device.CPU), () -> d.copyInto(Tensor.zeros(DType.F32, 4)),
                () -> Tensor.of(new float[] {1, 2, 3, 4}).copyTo(Device.cuda(0)),
                () -> Tensor.zeros(Device.cuda(0), DType.F32, 4)}) {
            IllegalStateException x = assertThrows(IllegalStateException.class, e);
            assertTrue(x.getMessage().contains("CUDA is unavailable here") && x.getMessage().contains(reason), x.getMessage());
        }
        try (CudaArena arena = CudaArena.open(Device.cuda(0))) {
            assertEquals(Device.cuda(0), arena.device());
            IllegalStateException x = assertThrows(IllegalStateException.class, () -> Tensor.zeros(arena, DType.F64, 3));
            assertTrue(x.getMessage().contains(reason), x.getMessage());
        }
    }

    @Test
    void gpuSuiteExitsWithItsOwnCodeWhereCudaIsUnavailable() {
        assumeNoGpu();
        assertEquals(3, org.loss4j.cli.Main.run("gpu-suite", "--vectors", "test-vectors/data"));
    }

    @Test
    void arenaLifecycle() {
        assertThrows(IllegalArgumentException.class, () -> CudaArena.open(Device.CPU));
        CudaArena arena = CudaArena.open(Device.cuda(0));
        assertTrue(arena.isAlive());
        arena.close();
        assertFalse(arena.isAlive());
        assertDoesNotThrow(arena::close); // closing twice frees nothing twice
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(arena, DType.F32, 2));
    }

    @Test
    void copyNeedsSameDtypeAndSize() {
        Tensor d = Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), 4);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> d.copyInto(Tensor.zeros(DType.F64, 4)));
        assertTrue(x.getMessage().contains("same dtype"), x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2}).copyInto(d));
        // host to host works everywhere
        Tensor h = Tensor.of(new float[] {1, 2, 3});
        assertEquals(2.0, Tensor.of(new float[] {1, 2, 3}).copyInto(Tensor.zeros(DType.F32, 3)).getDouble(1));
        assertEquals(3.0, h.copyTo(Device.CPU).getDouble(2));
        assertEquals(3.0, h.toHost().getDouble(2));
    }

    @Test
    void cudaTensorsOnACpuBackendNameTheArgumentAndBothDevices() {
        Tensor d = Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), 4);
        Tensor h = Tensor.of(new float[] {1, 2, 3, 4});
        for (Backend b : Backends.available()) {
            if (!b.device().isCpu()) continue;
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> MSELoss.create().on(b).forward(d, d));
            assertTrue(x.getMessage().contains("'input'") && x.getMessage().contains("cuda:0")
                    && x.getMessage().contains("cpu") && x.getMessage().contains(b.name()), x.getMessage());
        }
        // mixed devices in one call, whatever the backend
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> MSELoss.create().forward(h, d));
        assertTrue(x.getMessage().contains("'target' is on cuda:0") && x.getMessage().contains("'input' is on cpu"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> MSELoss.create().on(Backends.java()).forwardInto(
                Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0)), h, h));
        assertTrue(x.getMessage().contains("out is on cuda:0") && x.getMessage().contains("cpu"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> MSELoss.create().on(Backends.java()).backward(d.reshape(4), h, h));
        assertTrue(x.getMessage().contains("gradOutput is on cuda:0"), x.getMessage());
    }

    @Test
    void withoutAGpuCudaTensorsGetTheUnavailableReason() {
        assumeNoGpu();
        Tensor d = Tensor.wrapDevice(FAKE, DType.F32, Device.cuda(0), 2, 3);
        Tensor t = Tensor.wrapDevice(FAKE + 4096, DType.I64, Device.cuda(0), 2);
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> CrossEntropyLoss.create().forward(d, t));
        assertTrue(x.getMessage().contains("cuda:0") && x.getMessage().contains(CudaBackend.INSTANCE.unavailableReason()),
                x.getMessage());
        x = assertThrows(IllegalStateException.class, () -> MSELoss.create().on(CudaBackend.INSTANCE).forward(d, d));
        assertTrue(x.getMessage().contains("unavailable"), x.getMessage());
        assertFalse(CudaBackend.INSTANCE.isAvailable());
    }
}

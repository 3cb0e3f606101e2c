package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.loss4j.loss.MSELoss;

class TensorTest {

    @Test
    void wrapCopiesNothingAndTheLossReadsTheCallersBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(ValueLayout.JAVA_FLOAT, 4);
            MemorySegment y = arena.allocate(ValueLayout.JAVA_FLOAT, 4);
            for (int i = 0; i < 4; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            Tensor input = Tensor.wrap(x, DType.F32, 2, 2);
            Tensor target = Tensor.wrap(y, DType.F32, 2, 2);
            assertEquals(x.address(), input.segment().address(), "wrap must view the caller's memory");
            MSELoss mse = MSELoss.builder().reduction(Reduction.SUM).build();
            double before = mse.forward(input, target).item();
            x.setAtIndex(ValueLayout.JAVA_FLOAT, 3, 10f); // change the caller's segment, not the tensor
            double after = mse.forward(input, target).item();
            assertNotEquals(before, after);
            assertEquals(0 + 1 + 4 + 100, after, 0.0);
        }
    }

    @Test
    void wrapsADirectByteBuffer() {
        ByteBuffer bb = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        bb.putFloat(0, 2f);
        Tensor t = Tensor.wrap(MemorySegment.ofBuffer(bb), DType.F32, 4);
        bb.putFloat(4, 5f);
        assertEquals(5f, t.getDouble(1));
    }

    @Test
    void rejectsTooSmallSegmentsWithTheSizes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(12);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(s, DType.F32, 2, 2));
            assertTrue(e.getMessage().contains("16") && e.getMessage().contains("12"), e.getMessage());
        }
    }

    @Test
    void rejectsNegativeSizesAndNonContiguousStrides() {
        MemorySegment s = Arena.ofAuto().allocate(64);
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(s, DType.F32, 2, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(s, DType.F32, new long[] {2, 3}, new long[] {1, 2}));
        assertTrue(e.getMessage().contains("non-contiguous"), e.getMessage());
        assertEquals(6, Tensor.wrap(s, DType.F32, new long[] {2, 3}, new long[] {3, 1}).numel());
    }

    @Test
    void useAfterCloseIsAnIllegalStateException() {
        Arena arena = Arena.ofConfined();
        Tensor a = Tensor.wrap(arena.allocate(16), DType.F32, 4);
        Tensor b = Tensor.wrap(arena.allocate(16), DType.F32, 4);
        arena.close();
        assertThrows(IllegalStateException.class, () -> a.getDouble(0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MSELoss.create().forward(a, b));
        assertTrue(e.getMessage().contains("input"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Tensor.wrap(a.segment(), DType.F32, 4));
    }

    @Test
    void copiesFromJavaArraysAndReshapes() {
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(DType.F64, t.dtype());
        assertEquals(3, t.size(-1));
        assertEquals(6, t.reshape(3, 2).getDouble(5));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
        assertEquals(7L, Tensor.of(new long[] {7}).getLong(0));
        assertEquals(0, Tensor.zeros(DType.F32, 0, 3).numel());
    }

    /** Sizes above 2 GB: long indexing from the tensor through the kernel (the last element is past 2^31 bytes). */
    @Test
    void tensorsOverTwoGigabytesAreAddressable() {
        long n = (1L << 29) + 7; // 2 GiB + 28 bytes of float32
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(n * 4, 64);
            Tensor input = Tensor.wrap(s, DType.F32, n);
            input.setDouble(0, 1);
            input.setDouble(n - 1, 3);
            assertEquals(3.0, s.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1));
            Tensor zero = Tensor.of(new float[] {0});
            MSELoss sum = MSELoss.builder().reduction(Reduction.SUM).build();
            assertEquals(1 + 9, sum.forward(input, zero).item(), 0.0, "every element, the last one past 2 GB included");
        }
    }
}

package org.loss4j.internal.java.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.loss4j.DType;

/** The active kernels' bfloat16 conversions against {@link DType}'s scalar ones: every bfloat16, and floats by stride. */
class Bf16KernelsTest {

    private static final int N = 1 << 16;

    @Test
    void widenEveryBf16() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(2L * N + 2), dst = a.allocate(4L * N + 4);
            for (int i = 0; i < N; i++) src.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) i);
            Vectorization.pairKernels().widenBf16(src, dst, N - 3); // a tail for the scalar part
            for (int i = 0; i < N - 3; i++) {
                assertEquals(Float.floatToRawIntBits(DType.bf16ToFloat((short) i)), dst.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
            }
        }
    }

    @Test
    void narrowFloatsByStride() {
        int stride = Integer.getInteger("loss4j.test.bf16Stride", 4099);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(4L * N), dst = a.allocate(2L * N);
            long bits = 0;
            while (bits <= 0xFFFFFFFFL) {
                int k = 0;
                for (; k < N - 5 && bits <= 0xFFFFFFFFL; k++, bits += stride) src.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k, (int) bits);
                Vectorization.pairKernels().narrowBf16(src, dst, k);
                for (int i = 0; i < k; i++) {
                    float f = src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(DType.floatToBf16(f), dst.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i),
                            "float bits " + Integer.toHexString(Float.floatToRawIntBits(f)));
                }
            }
        }
    }
}

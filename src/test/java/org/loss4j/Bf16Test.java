package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.loss4j.loss.CrossEntropyLoss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.MSELoss;

/** bfloat16 conversions (round to nearest, ties to even) and the bfloat16 call path's refusals. */
class Bf16Test {

    @Test
    void everyBf16RoundTrips() {
        for (int b = 0; b < 1 << 16; b++) {
            float f = DType.bf16ToFloat((short) b);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(f))));
            } else {
                assertEquals((short) b, DType.floatToBf16(f), "bits " + Integer.toHexString(b));
            }
        }
    }

    @Test
    void roundsToNearestTiesToEven() {
        float ulp = 0x1p-7f; // spacing of bfloat16 in [1, 2)
        assertEquals(1f, DType.bf16ToFloat(DType.floatToBf16(1f + ulp / 2)));                 // tie: to even (1.0)
        assertEquals(1f + 2 * ulp, DType.bf16ToFloat(DType.floatToBf16(1f + 1.5f * ulp)));    // tie: to even (1 + 2 ulp)
        assertEquals(1f + ulp, DType.bf16ToFloat(DType.floatToBf16(1f + 0.5001f * ulp)));     // above the tie: up
        assertEquals(Float.POSITIVE_INFINITY, DType.bf16ToFloat(DType.floatToBf16(Float.MAX_VALUE))); // rounds past the top
        assertEquals(Float.NEGATIVE_INFINITY, DType.bf16ToFloat(DType.floatToBf16(Float.NEGATIVE_INFINITY)));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.intBitsToFloat(0x7F800001))))); // a NaN whose payload is in the low bits
    }

    @Test
    void bf16CallGivesBf16ResultsIntoCallerTensors() {
        Tensor x = Tensor.of(DType.BF16, new double[] {1, 2, 3}, 3);
        Tensor y = Tensor.of(DType.BF16, new double[] {0.5, 2, 5}, 3);
        LossResult r = MSELoss.create().forwardBackward(x, y);
        assertEquals(DType.BF16, r.loss().dtype());
        assertEquals(DType.BF16, r.gradInput().dtype());
        Tensor out = Tensor.zeros(DType.BF16);
        Tensor gx = Tensor.zeros(DType.BF16, 3);
        MSELoss.create().forwardBackwardInto(out, new Tensor[] {gx, null}, null, x, y);
        assertEquals(r.loss().item(), out.item());
        assertEquals(r.gradInput().getDouble(2), gx.getDouble(2));
    }

    @Test
    void refusesMixedDtypesAndWeights() {
        Tensor x = Tensor.of(DType.BF16, new double[] {1, 2}, 2);
        Tensor y = Tensor.of(DType.F32, new double[] {1, 2}, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> MSELoss.create().forward(x, y));
        assertTrue(e.getMessage().contains("target") && e.getMessage().contains("bfloat16"), e.getMessage());
        Tensor out = Tensor.zeros(DType.F32);
        var e2 = assertThrows(IllegalArgumentException.class, () -> MSELoss.create().forwardInto(out, x, x));
        assertTrue(e2.getMessage().contains("out"), e2.getMessage());
        Tensor logits = Tensor.of(DType.BF16, new double[] {1, 2, 3, 4}, 2, 2);
        Tensor target = Tensor.of(DType.I64, new double[] {0, 1}, 2);
        Tensor w = Tensor.of(DType.BF16, new double[] {1, 2}, 2);
        var e3 = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().weight(w).build().forward(logits, target));
        assertTrue(e3.getMessage().contains("weight"), e3.getMessage());
    }
}

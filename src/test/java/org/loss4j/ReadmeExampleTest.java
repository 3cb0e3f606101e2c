package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.loss4j.loss.CrossEntropyLoss;
import org.loss4j.loss.LossResult;

/** The example of README.md, as written there, so that it keeps compiling and agreeing with itself. */
class ReadmeExampleTest {

    @Test
    void readmeExample() {
        try (Arena arena = Arena.ofConfined()) {
            // logits (N=2, C=3) in caller memory: wrapped, not copied
            MemorySegment logits = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 2.0f, 0.5f, -1.0f, 0.1f, 0.2f, 3.0f);
            Tensor input = Tensor.wrap(logits, DType.F32, 2, 3);
            Tensor target = Tensor.of(new long[] {0, 2}); // class indices (int64)

            CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
            LossResult r = ce.forwardBackward(input, target); // one fused call
            float loss = (float) r.loss().item();
            Tensor grad = r.gradInput(); // (2, 3), same dtype as input

            // allocation-free style: write into caller tensors
            Tensor out = Tensor.zeros(arena, DType.F32);
            Tensor gradOut = Tensor.zeros(arena, DType.F32, 2, 3);
            ce.forwardBackwardInto(out, new Tensor[] {gradOut, null}, null, input, target);

            assertEquals(loss, (float) out.item());
            assertArrayEquals(grad.toFloatArray(), gradOut.toFloatArray());
        }
    }
}

package org.loss4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.loss4j.DType;
import org.loss4j.Tensor;

/**
 * API behaviour of NLLLoss, CrossEntropyLoss and MultiLabelSoftMarginLoss that the PyTorch vectors do not reach:
 * the allocation-free calls, per-call gradients (a class-index target has none), option validation, immutability.
 * Expected numbers come from the convenient calls, which the vectors check against PyTorch.
 */
class ClassLossApiTest {

    private static final Tensor LOGITS = Tensor.of(new double[] {2, 0, -1, 0.5, 1.5, 0, -3, 1, 1}, 3, 3);
    private static final Tensor CLASSES = Tensor.of(new long[] {0, 2, -100});

    @Test
    void classIndexTargetHasNoGradient() {
        CrossEntropyLoss ce = CrossEntropyLoss.create();
        LossResult r = ce.forwardBackward(LOGITS, CLASSES);
        assertEquals(java.util.Set.of("input"), r.gradients().keySet());
        Tensor[] grads = {Tensor.zeros(DType.F64, 3, 3), Tensor.zeros(DType.I64, 3)};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ce.forwardBackwardInto(null, grads, null, LOGITS, CLASSES));
        assertTrue(e.getMessage().contains("target"), e.getMessage());
    }

    @Test
    void probabilityTargetGradientInto() {
        CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.2).reduction("sum").build();
        Tensor probs = Tensor.of(new double[] {0.5, 0.5, 0, 0, 0, 1, 0.2, 0.3, 0.5}, 3, 3);
        LossResult r = ce.forwardBackward(LOGITS, probs);
        Tensor out = Tensor.zeros(DType.F64);
        Tensor gt = Tensor.zeros(DType.F64, 3, 3);
        ce.forwardBackwardInto(out, new Tensor[] {null, gt}, null, LOGITS, probs);
        assertEquals(r.loss().item(), out.item());
        assertArrayEquals(r.grad("target").toDoubleArray(), gt.toDoubleArray());
    }

    @Test
    void forwardIntoAndGradOutputForNone() {
        NLLLoss nll = NLLLoss.builder().reduction("none").build();
        Tensor out = Tensor.zeros(DType.F64, 3);
        nll.forwardInto(out, LOGITS, CLASSES);
        assertArrayEquals(new double[] {-2, -0.0, 0}, out.toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> nll.forwardBackward(LOGITS, CLASSES), "gradOutput is required");
        LossResult r = nll.backward(Tensor.of(new double[] {1, 2, 3}), LOGITS, CLASSES);
        assertArrayEquals(new double[] {-1, 0, 0, 0, 0, -2, 0, 0, 0}, r.gradInput().toDoubleArray());
    }

    @Test
    void optionsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().labelSmoothing(1.5));
        assertTrue(e.getMessage().contains("label_smoothing") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NLLLoss.builder().weight(Tensor.zeros(DType.F32, 2, 2)));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("[2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MultiLabelSoftMarginLoss.builder().weight(Tensor.of(new long[] {1, 2})));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("int64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.fromPyTorch("CrossEntropyLoss", Map.of("smoothing", 0.1)));
        assertTrue(e.getMessage().contains("smoothing"), e.getMessage());
        CrossEntropyLoss ce = (CrossEntropyLoss) Losses.fromPyTorch("CrossEntropyLoss",
                Map.of("label_smoothing", 0.1, "ignore_index", 1, "reduction", "sum"));
        assertEquals(0.1, ce.labelSmoothing());
        assertEquals(1, ce.ignoreIndex());
    }

    @Test
    void weightIsCopied() {
        Tensor w = Tensor.of(new double[] {1, 2, 3});
        NLLLoss nll = NLLLoss.builder().weight(w).build();
        double before = nll.forward(LOGITS, CLASSES).item();
        w.setDouble(0, 100);
        assertEquals(before, nll.forward(LOGITS, CLASSES).item());
        assertEquals(1, nll.weight().getDouble(0));
    }

    @Test
    void explainNamesTheGroups() {
        String s = CrossEntropyLoss.create().explain(LOGITS, CLASSES);
        assertTrue(s.contains("softmax="), s);
        assertFalse(MultiLabelSoftMarginLoss.create().explain(LOGITS, LOGITS).isEmpty());
    }
}

package org.loss4j.loss;

import java.util.Map;
import org.loss4j.Tensor;

/**
 * The result of a loss call: the loss and the gradients by argument name.
 *
 * @param loss      the loss (a scalar for mean/sum; per element or per sample for none)
 * @param gradients gradient of each differentiable argument computed, keyed by PyTorch's argument name
 * @param extras    other outputs (e.g. {@code output} of AdaptiveLogSoftmaxWithLoss); usually empty
 */
public record LossResult(Tensor loss, Map<String, Tensor> gradients, Map<String, Tensor> extras) {

    public LossResult {
        gradients = Map.copyOf(gradients);
        extras = Map.copyOf(extras);
    }

    /** The gradient with respect to the argument called {@code name}. */
    public Tensor grad(String name) {
        Tensor t = gradients.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no gradient for '" + name + "'; computed: " + gradients.keySet());
        }
        return t;
    }

    /** The gradient with respect to {@code input} (the first argument of most losses). */
    public Tensor gradInput() {
        return grad("input");
    }
}

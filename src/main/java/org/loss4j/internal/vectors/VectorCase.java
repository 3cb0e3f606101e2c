package org.loss4j.internal.vectors;

import java.util.List;
import java.util.Map;
import org.loss4j.Tensor;

/**
 * One PyTorch reference case: build {@code loss} with {@code options}, call it with {@code args}, expect
 * {@code output} and {@code grads} (with upstream gradient {@code gradOutput}), or expect {@code error}.
 */
public record VectorCase(String name, String loss, Map<String, Object> options, List<String> argNames, Tensor[] args,
                         Tensor output, Tensor gradOutput, Map<String, Tensor> grads, Map<String, Tensor> extras,
                         ExpectedError error, Tolerance tolerance) {

    /**
     * The exception loss4j must throw.
     *
     * @param javaType            simple class name, e.g. {@code IllegalArgumentException}
     * @param mentions            words the message must contain (argument names, sizes)
     * @param torchMessage        what PyTorch raised, or null where loss4j is deliberately stricter
     * @param stricterThanTorch   why loss4j rejects what PyTorch accepts, or null
     */
    public record ExpectedError(String javaType, List<String> mentions, String torchMessage, String stricterThanTorch) {}

    public boolean expectsError() {
        return error != null;
    }

    @Override
    public String toString() {
        return name;
    }
}

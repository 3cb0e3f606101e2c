package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/**
 * softmax / log-softmax forward and backward over one dimension, and class-index kernels built on them.
 * Tensors are viewed as {@code [outer, n, inner]} with the softmax taken over the middle dimension ({@code n}),
 * which covers PyTorch's class dimension 1 of {@code (N, C, d1, ..., dK)} and a last-dimension softmax alike.
 */
public interface SoftmaxOps extends OpGroup {

    /** {@code out = x - logsumexp(x)} over the middle dimension (max-shifted, accumulated in double). */
    void logSoftmax(Tensor x, long outer, long n, long inner, Tensor out);

    /** {@code out = exp(x - logsumexp(x))} over the middle dimension. */
    void softmax(Tensor x, long outer, long n, long inner, Tensor out);

    /**
     * Backward of log-softmax given its output {@code y}:
     * {@code gradIn = gradOut - exp(y) * sum_k gradOut} over the middle dimension ({@code gradIn} may alias {@code gradOut}).
     */
    void logSoftmaxBackward(Tensor gradOut, Tensor y, long outer, long n, long inner, Tensor gradIn);
}

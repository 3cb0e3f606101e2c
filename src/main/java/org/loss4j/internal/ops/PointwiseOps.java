package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/** Fused element-wise loss kernels: one pass computes the loss terms, their sum and (optionally) the gradients. */
public interface PointwiseOps extends OpGroup {

    /**
     * Evaluates {@code fn} over the operands broadcast (NumPy rules) to {@code outShape}.
     *
     * @param operands   {@code fn.arity()} (1 to 4) tensors of one floating dtype, each broadcastable to {@code outShape}
     * @param outShape   the broadcast shape
     * @param outNone    if not null, receives the per-element terms (shape {@code outShape}); the sum is still returned
     * @param gradOut    if not null, per-element upstream gradient (shape {@code outShape}), used instead of {@code gradScale}
     * @param gradScale  upstream gradient times the reduction's scale (e.g. {@code g / N} for mean)
     * @param grads      null for forward only; else one entry per operand, null where that gradient is not wanted.
     *                   Each has its operand's shape and is overwritten (broadcast dimensions are summed).
     * @return the sum of all terms, accumulated in double
     */
    double apply(PointwiseFn fn, Tensor[] operands, long[] outShape, Tensor outNone,
                 Tensor gradOut, double gradScale, Tensor[] grads);
}

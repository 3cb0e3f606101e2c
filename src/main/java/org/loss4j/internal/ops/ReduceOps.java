package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/** Reductions and small whole-tensor operations shared by every loss. */
public interface ReduceOps extends OpGroup {

    /** Sum of all elements, accumulated in double. */
    double sum(Tensor x);

    /**
     * Views {@code x} as {@code [outer, n, inner]} and writes {@code out[o, i] = scale * sum_k x[o, k, i]}
     * ({@code out} has {@code outer * inner} elements).
     */
    void sumDim(Tensor x, long outer, long n, long inner, double scale, Tensor out);

    /** {@code out = alpha * x} element-wise ({@code out} may be {@code x}). */
    void scale(Tensor x, double alpha, Tensor out);

    /** {@code out = x * y} element-wise, same number of elements ({@code out} may alias either). */
    void mul(Tensor x, Tensor y, Tensor out);

    /** Sets every element of {@code t} to {@code v}. */
    void fill(Tensor t, double v);

    /** Copies {@code src} into {@code dst} (same dtype and number of elements). */
    void copy(Tensor src, Tensor dst);
}

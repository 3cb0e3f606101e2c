package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/**
 * Dense linear algebra: the matrix products of AdaptiveLogSoftmaxWithLoss (and fused linear losses later), with the
 * row selection that feeds a product only the rows that need it.
 *
 * <p>All matrices are row-major, contiguous, of one floating dtype, with the sizes given; the Java kernels
 * accumulate in double and round once into {@code out}; oneDNN's matmul accumulates in float32, as PyTorch's CPU
 * matmul does. {@code out} never aliases an operand. Any size may be
 * 0: an empty sum is 0 (so {@code k == 0} writes zeros, plus the bias).
 */
public interface LinearOps extends OpGroup {

    /**
     * PyTorch's {@code F.linear}: {@code out (m, n) = a (m, k) @ b (n, k)^T + bias (n)} ({@code bias} may be null).
     * Also the forward product of any {@code nn.Linear} with weight {@code b}.
     */
    void linear(Tensor a, Tensor b, Tensor bias, long m, long k, long n, Tensor out);

    /** {@code out (m, n) = a (m, k) @ b (k, n)}: the input gradient of {@code F.linear}, {@code dY @ W}. */
    void matmul(Tensor a, Tensor b, long m, long k, long n, Tensor out);

    /** {@code out (m, n) = a (k, m)^T @ b (k, n)}: the weight gradient of {@code F.linear}, {@code dY^T @ X}. */
    void matmulTransposeA(Tensor a, Tensor b, long k, long m, long n, Tensor out);

    /**
     * {@code out (r, cols)}: row {@code i} is row {@code rows[i]} of {@code src}, as {@code src.index_select(0, rows)}.
     * {@code rows} is int64 with {@code r} valid row indices of {@code src}; {@code out} has {@code src}'s dtype.
     */
    void gatherRows(Tensor src, Tensor rows, long r, long cols, Tensor out);

    /**
     * {@code dst[rows[i], :] += src[i, :]} for {@code i < r}, as {@code dst.index_add_(0, rows, src)}: the backward of
     * {@link #gatherRows}. {@code rows} holds int64 row indices of {@code dst}, each at most once.
     */
    void scatterAddRows(Tensor src, Tensor rows, long r, long cols, Tensor dst);
}

package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/**
 * Row-wise margin kernels and distances (see {@link Ops#margin()}): multi-class hinge (MultiMarginLoss),
 * multi-label hinge (MultiLabelMarginLoss), cosine similarity in PyTorch's two forms, and the p-norm pairwise
 * distance. The losses compose them with {@link PointwiseOps} (hinges on per-row values) and {@link ReduceOps}.
 *
 * <p>Every kernel takes validated, contiguous tensors of one floating dtype (class indices int64 or int32) viewed as
 * rows: {@code [rows, width]} matrices and {@code [rows]} vectors. Sizes come from those shapes. Per-row upstream
 * gradients come either as a tensor {@code gradRows} ({@code [rows]}) or, when that is null, as the constant
 * {@code gradScale} (the reduction's scale times the scalar upstream gradient). Where PyTorch decides a kink in the
 * tensor's precision (the sign of a hinge argument), a float32 kernel decides it in float32 arithmetic too.
 */
public interface MarginOps extends OpGroup {

    /** The two cosine similarities PyTorch has; they differ near zero vectors. */
    enum Cosine {
        /**
         * {@code cosine_embedding_loss}: {@code <x1,x2> / sqrt((|x1|^2 + eps) (|x2|^2 + eps))}, eps = 1e-12 added to
         * the squared norms.
         */
        SQUARED_NORM_EPS,
        /**
         * {@code F.cosine_similarity}: {@code <x1 / max(|x1|, eps), x2 / max(|x2|, eps)>}; the clamp is not
         * differentiated (PyTorch clamps under no_grad), so the gradient flows through the norm as if unclamped,
         * and is 0 through the norm of a zero vector.
         */
        CLAMPED_NORM
    }

    /**
     * MultiMarginLoss per row {@code n} of {@code input [N, C]} with class {@code y = target[n]}:
     * {@code sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C}.
     *
     * @param target  {@code [N]} class indices in {@code [0, C)}
     * @param weight  {@code [C]} or null
     * @param p       1 or 2
     * @param outRows {@code [N]} per-row losses, or null
     * @return the sum of the row losses, accumulated in double
     */
    double multiMargin(Tensor input, Tensor target, Tensor weight, int p, double margin, Tensor outRows);

    /** Gradient of {@link #multiMargin} with respect to {@code input}, written into {@code gradInput [N, C]}. */
    void multiMarginBackward(Tensor input, Tensor target, Tensor weight, int p, double margin,
                             Tensor gradRows, double gradScale, Tensor gradInput);

    /**
     * MultiLabelMarginLoss per row of {@code input [N, C]}: the labels are {@code target[n, 0..k)} up to the first
     * negative entry; the loss is {@code sum_j sum_{i not a label} max(0, 1 - x[label_j] + x[i]) / C} (a repeated
     * label counts each time, as in PyTorch).
     *
     * @param target  {@code [N, C]} labels in {@code [-1, C)}
     * @param outRows {@code [N]} per-row losses, or null
     * @return the sum of the row losses
     */
    double multiLabelMargin(Tensor input, Tensor target, Tensor outRows);

    /** Gradient of {@link #multiLabelMargin} with respect to {@code input}, written into {@code gradInput [N, C]}. */
    void multiLabelMarginBackward(Tensor input, Tensor target, Tensor gradRows, double gradScale, Tensor gradInput);

    /**
     * Cosine similarity of the rows of {@code x1, x2 [N, D]} into {@code out [N]}.
     *
     * @param eps 1e-12 for {@link Cosine#SQUARED_NORM_EPS}, the norm clamp (1e-8 by default) for
     *            {@link Cosine#CLAMPED_NORM}
     */
    void cosineSimilarity(Cosine form, double eps, Tensor x1, Tensor x2, Tensor out);

    /**
     * Gradient of {@link #cosineSimilarity} given {@code gradRows [N]} (or {@code gradScale}): into {@code grad1} and
     * {@code grad2} ({@code [N, D]}, either may be null); {@code add1}/{@code add2} accumulate instead of overwrite.
     */
    void cosineSimilarityBackward(Cosine form, double eps, Tensor x1, Tensor x2, Tensor gradRows, double gradScale,
                                  Tensor grad1, boolean add1, Tensor grad2, boolean add2);

    /**
     * PyTorch's {@code pairwise_distance}: {@code out[n] = || x1[n] - x2[n] + eps ||_p} over rows of {@code [N, D]}.
     * {@code p} is any non-NaN real: 0 counts non-zeros, +-inf take max/min of absolute values, negative p uses the
     * same power formula as positive p (as {@code linalg.vector_norm}).
     */
    void pairwiseDistance(double p, double eps, Tensor x1, Tensor x2, Tensor out);

    /**
     * Gradient of {@link #pairwiseDistance} (PyTorch's {@code norm_backward}) given the distances {@code dist [N]} and
     * {@code gradRows [N]} (or {@code gradScale}): into {@code grad1} (d/dx1) and {@code grad2} (d/dx2 = -d/dx1),
     * either may be null; {@code add1}/{@code add2} accumulate instead of overwrite.
     */
    void pairwiseDistanceBackward(double p, double eps, Tensor x1, Tensor x2, Tensor dist, Tensor gradRows,
                                  double gradScale, Tensor grad1, boolean add1, Tensor grad2, boolean add2);
}

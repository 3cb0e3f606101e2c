package org.loss4j.internal.ops;

import org.loss4j.Tensor;
import org.loss4j.internal.workspace.Workspace;

/**
 * softmax / log-softmax forward and backward over one dimension, and class-index kernels built on them.
 * Tensors are viewed as {@code [outer, n, inner]} with the softmax taken over the middle dimension ({@code n}),
 * which covers PyTorch's class dimension 1 of {@code (N, C, d1, ..., dK)} and a last-dimension softmax alike.
 *
 * <p>The class kernels (NLL pick, label-smoothing term, probability targets) take the same view of a
 * log-probability tensor {@code logp}: {@code outer = N} (1 unbatched), {@code n = C}, {@code inner = d1 * ... * dK}
 * (1 without extra dimensions). A position {@code p = o * inner + i} is one sample (and spatial point); class
 * targets and per-position losses are flat over positions. A backend that computes log-softmax natively may
 * still serve these kernels from Java. Inputs are validated by the loss: every class target is in
 * {@code [0, n)} or equals {@code ignoreIndex}; {@code weight} is null or holds {@code n} values of {@code logp}'s
 * dtype.
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

    /** Index of each sum in the {@code sums} array of {@link #classTargetForward}. */
    int NLL_SUM = 0, SMOOTH_SUM = 1, WEIGHT_SUM = 2;

    /**
     * Class-index targets (NLL, and cross-entropy's label smoothing) over log-probabilities. For each position
     * {@code p} with target {@code t = target[p]} other than {@code ignoreIndex}, with {@code w_c = weight[c]}
     * (1 without weight) and {@code eps = smoothing}:
     * <pre>
     *   nll_p    = -w_t * logp[o, t, i]
     *   smooth_p = -sum_c w_c * logp[o, c, i]            (only computed when eps &gt; 0)
     *   loss_p   = nll_p                                  (eps == 0)
     *            = (1 - eps) * nll_p + eps / n * smooth_p  (eps &gt; 0)
     * </pre>
     * Ignored positions have loss 0 and weight 0.
     *
     * @param target  {@code outer * inner} class indices (int64 or int32)
     * @param weight  null or {@code n} class weights
     * @param lossOut null, or {@code outer * inner} elements receiving {@code loss_p}
     * @param sums    three entries receiving {@code [NLL_SUM] = sum nll_p}, {@code [SMOOTH_SUM] = sum smooth_p},
     *                {@code [WEIGHT_SUM] = sum w_t} over non-ignored positions (accumulated in double)
     */
    void classTargetForward(Tensor logp, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                            long outer, long n, long inner, Tensor lossOut, double[] sums);

    /**
     * Gradient of {@link #classTargetForward}'s losses with respect to {@code logp}, scattered: with
     * {@code s_p = gradScale * (gradOut == null ? 1 : gradOut[p])},
     * {@code gradLogp[o, c, i] = -s_p * (eps / n * w_c + (c == t ? (1 - eps) * w_t : 0))} (the smoothing part only
     * when eps &gt; 0), and 0 for every class of an ignored position. Every element of {@code gradLogp} is written.
     *
     * @param gradOut   null, or {@code outer * inner} upstream gradients (reduction none)
     * @param gradScale the upstream gradient times the reduction's factor (e.g. {@code g / sum(w_t)} for mean)
     */
    void classTargetBackward(Tensor target, Tensor weight, long ignoreIndex, double smoothing, Tensor gradOut,
                             double gradScale, long outer, long n, long inner, Tensor gradLogp);

    /**
     * Class-probability targets (cross-entropy with soft labels): for each position
     * {@code loss_p = -sum_c w_c * y'_c * logp[o, c, i]} with {@code y'_c = target[o, c, i]} if {@code smoothing == 0},
     * else {@code target[o, c, i] * (1 - eps) + eps / n}.
     *
     * @param target  probabilities of {@code logp}'s shape and dtype
     * @param lossOut null, or {@code outer * inner} elements receiving {@code loss_p}
     * @return the sum of {@code loss_p} over all positions (accumulated in double)
     */
    double probTargetForward(Tensor logp, Tensor target, Tensor weight, double smoothing, long outer, long n,
                             long inner, Tensor lossOut);

    /**
     * Gradients of {@link #probTargetForward}'s losses: with {@code s_p} as in {@link #classTargetBackward},
     * {@code gradLogp[o, c, i] = -s_p * w_c * y'_c} and {@code gradTarget[o, c, i] = -s_p * w_c * (1 - eps) * logp[o, c, i]}.
     * Either output may be null (not computed); each given one is written in full.
     */
    void probTargetBackward(Tensor logp, Tensor target, Tensor weight, double smoothing, Tensor gradOut,
                            double gradScale, long outer, long n, long inner, Tensor gradLogp, Tensor gradTarget);

    /**
     * Cross-entropy with class-index targets, fused: the same results as {@link #logSoftmax} of {@code input}
     * followed by {@link #classTargetForward} and, when {@code gradInput} is given, {@link #classTargetBackward} and
     * {@link #logSoftmaxBackward} into {@code gradInput} (up to rounding: a fused backend need not round the
     * log-probabilities to the input's dtype). The default composes those methods over a workspace tensor.
     *
     * @param gradInput         null (forward only), or the gradient with respect to {@code input} (fully written)
     * @param gradOut           null, or {@code outer * inner} upstream gradients (reduction none)
     * @param gradScale         as in {@link #classTargetBackward}
     * @param divideByWeightSum when true, the gradient scale is {@code gradScale / sum(w_t)} over non-ignored
     *                          positions (reduction mean)
     */
    default void crossEntropyClassTarget(Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                         long outer, long n, long inner, Tensor lossOut, double[] sums,
                                         Tensor gradInput, Tensor gradOut, double gradScale, boolean divideByWeightSum) {
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        try {
            composeCrossEntropyClassTarget(ws.uninitialized(input.dtype(), input.shape()), input, target, weight, ignoreIndex,
                    smoothing, outer, n, inner, lossOut, sums, gradInput, gradOut, gradScale, divideByWeightSum);
        } finally {
            ws.release(mark);
        }
    }

    /**
     * {@link #crossEntropyClassTarget} composed from this backend's log-softmax and class-target ops, with the
     * log-probabilities in {@code logp} (scratch of {@code input}'s dtype, shape and device, overwritten).
     */
    default void composeCrossEntropyClassTarget(Tensor logp, Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                         double smoothing, long outer, long n, long inner, Tensor lossOut, double[] sums,
                                         Tensor gradInput, Tensor gradOut, double gradScale, boolean divideByWeightSum) {
        logSoftmax(input, outer, n, inner, logp);
        classTargetForward(logp, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums);
        if (gradInput != null) {
            double scale = divideByWeightSum ? gradScale / sums[WEIGHT_SUM] : gradScale;
            classTargetBackward(target, weight, ignoreIndex, smoothing, gradOut, scale, outer, n, inner, gradInput);
            logSoftmaxBackward(gradInput, logp, outer, n, inner, gradInput);
        }
    }
}

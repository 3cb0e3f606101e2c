package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/**
 * Connectionist temporal classification kernels (see {@link Ops#ctc()}): the forward-backward algorithm of Graves et
 * al. 2006, "Connectionist Temporal Classification: Labelling Unsegmented Sequence Data with Recurrent Neural
 * Networks", section 4.1, in log space.
 *
 * <p>The loss validates every argument first (shapes, lengths, label values, blank); a kernel may assume it.
 */
public interface CtcOps extends OpGroup {

    /**
     * The negative log-likelihood {@code -ln p(l | x)} of each batch item's target and, optionally, PyTorch's gradient
     * with respect to {@code logProbs}.
     *
     * <p>The gradient follows PyTorch's CPU kernel exactly: for frames {@code t < input_length},
     * {@code grad[t, n, c] = gradScale[n] * (exp(lp) - exp(ln(sum_{s: l'_s = c} alpha_t(s) beta_t(s)) + nll - lp))}
     * with {@code lp = logProbs[t, n, c]} (eq. 16 of the paper: the gradient with respect to the unnormalised outputs,
     * which equals the derivative with respect to {@code logProbs} only up to the softmax's Jacobian). Frames
     * {@code t >= input_length} get 0. Items whose nll is {@code +inf} get NaN at {@code t < input_length} (0 - inf
     * arithmetic, as PyTorch), or 0 everywhere when {@code zeroInfinity}.
     *
     * @param logProbs      {@code (T, N, C)}, F32 or F64, {@code T, N, C >= 1}
     * @param targets       I64 or I32: padded {@code (N, S)} (item n's labels are {@code targets[n, 0:target_lengths[n]]}),
     *                      or concatenated 1-D of {@code sum(target_lengths)} elements. Every label read is in
     *                      {@code [0, C)} and differs from {@code blank}
     * @param inputLengths  {@code (N)}, I64 or I32, each in {@code [0, T]}
     * @param targetLengths {@code (N)}, I64 or I32, each {@code >= 0} (and {@code <= S} for padded targets)
     * @param blank         the blank label, in {@code [0, C)}
     * @param nll           output {@code (N)} F64: {@code -ln p}, {@code +inf} where no alignment exists (also for
     *                      {@code input_length = 0} with a non-empty target), 0 for empty input and target
     * @param gradScale     null for the forward only; else {@code (N)} F64, the upstream gradient of each item's nll
     *                      (reduction's scale included)
     * @param zeroInfinity  PyTorch's {@code zero_infinity}: items with {@code nll = +inf} get a zero gradient
     * @param grad          null for the forward only; else {@code (T, N, C)} of {@code logProbs}' dtype, fully overwritten
     */
    void ctcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank,
                 Tensor nll, Tensor gradScale, boolean zeroInfinity, Tensor grad);
}

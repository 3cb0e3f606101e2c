package org.loss4j.internal.java.vector;

import java.lang.foreign.MemorySegment;

/**
 * Flat float32 kernels for the memory-bound two-operand terms (squared, absolute, smooth-L1 and Huber error) the plain binary cross-entropy with logits and KL divergence over
 * contiguous same-size operands: one pass sums the terms (in double) and, optionally, writes both gradients for a
 * scalar upstream gradient. Two implementations give the same results within the float32 tolerance, with identical
 * NaN/inf/kink behaviour: {@link ScalarPairKernels} (always present) and a {@code jdk.incubator.vector} one chosen at
 * start-up by {@link Vectorization} (Lucene's VectorizationProvider pattern). Nothing else knows which is active.
 *
 * <p>Semantics (mirroring each term's {@code valueF32}/{@code gradF32}): the value is computed in float arithmetic
 * and summed in double; the gradient is computed in double from the float operands and rounded to float.
 */
public interface PairKernels {

    int SQUARED = 0;
    int ABSOLUTE = 1;
    int SMOOTH_L1 = 2;
    int HUBER = 3;
    /** BCEWithLogitsLoss without weights: {@code a} logits, {@code b} targets; {@code gb = -a g}, not {@code -ga}. */
    int LOGITS_BCE = 4;
    /** KLDivLoss without log_target: {@code a} log-probabilities, {@code b} probabilities; its own target gradient. */
    int KL_DIV = 5;

    /** e.g. {@code "scalar"} or {@code "panama-vector 256-bit (8 lanes)"}. */
    String description();

    /**
     * Elements {@code [from, to)}: returns the sum of the terms; where {@code ga}/{@code gb} are not null, writes
     * {@code g * d term / d a} and {@code g * d term / d b} there.
     *
     * @param kind  one of {@link #SQUARED}, {@link #ABSOLUTE}, {@link #SMOOTH_L1}, {@link #HUBER}, {@link #LOGITS_BCE}, {@link #KL_DIV}
     * @param param beta (smooth-L1) or delta (Huber); ignored otherwise
     */
    double run(int kind, double param, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
               double g, long from, long to);

    /** Widens {@code n} bfloat16 values at {@code src} to float32 at {@code dst} (exact). */
    void widenBf16(MemorySegment src, MemorySegment dst, long n);

    /** Rounds {@code n} float32 values at {@code src} to bfloat16 at {@code dst}: nearest, ties to even; NaN stays NaN. */
    void narrowBf16(MemorySegment src, MemorySegment dst, long n);
}

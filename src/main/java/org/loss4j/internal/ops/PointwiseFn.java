package org.loss4j.internal.ops;

/**
 * One element-wise loss term {@code f(a, b, c, d)} with its partial derivatives, e.g. MSE's {@code (a - b)^2}.
 * Operands are broadcast by the kernel; unused operands are 0. Implementations are stateless singletons or small
 * immutable objects holding options (margin, beta, eps...). Backends may recognise well-known functions by class
 * to run a native fused chain instead.
 */
public interface PointwiseFn {

    /**
     * Terms a native backend may recognise and run as its own chain of primitives. A term says what it is here,
     * with its option in {@link #parameter()}; anything else is {@link Kind#OTHER} and runs through
     * {@link #value}/{@link #grad}.
     */
    enum Kind {
        /** {@code (a - b)^2} (MSELoss). */
        SQUARED_ERROR,
        /** {@code |a - b|} (L1Loss; SmoothL1Loss with beta 0). */
        ABSOLUTE_ERROR,
        /** SmoothL1Loss's term, parameter beta. */
        SMOOTH_L1,
        /** HuberLoss's term, parameter delta. */
        HUBER,
        /** MarginRankingLoss's {@code max(0, -c (a - b) + margin)}, parameter margin. */
        RANKING_HINGE,
        /** HingeEmbeddingLoss's term, parameter margin. */
        EMBEDDING_HINGE,
        /** BCEWithLogitsLoss's term without weight or pos_weight: {@code (1 - b) a - log(sigmoid(a))}. */
        LOGITS_BCE,
        /** KLDivLoss's term without log_target: {@code xlogy(b, b) - b a}. */
        KL_DIV,
        /** Any other term. */
        OTHER
    }

    /** What this term is, for backends with native chains; {@link Kind#OTHER} by default. */
    default Kind kind() {
        return Kind.OTHER;
    }

    /** The option of a known {@link #kind()} (beta, delta, margin); NaN where there is none. */
    default double parameter() {
        return Double.NaN;
    }

    /** Short name shown by {@code explain}, e.g. {@code "squared_error"}. */
    String name();

    /** Number of operands used: 1 to 4. */
    int arity();

    /** The loss term, computed in double. */
    double value(double a, double b, double c, double d);

    /**
     * The loss term for single-precision tensors. Override where PyTorch's float32 arithmetic differs visibly from
     * the double formula (e.g. {@code exp} overflowing to inf in SoftMarginLoss); the default rounds nothing.
     */
    default double valueF32(double a, double b, double c, double d) {
        return value(a, b, c, d);
    }

    /**
     * Writes {@code g * df / d(operand k)} into {@code out[k]} for k below {@link #arity()}. {@code out} has 4 entries.
     * Entries for operands that are not differentiable may be left untouched.
     */
    void grad(double a, double b, double c, double d, double g, double[] out);

    /**
     * {@link #grad} for single-precision tensors. Override where PyTorch's float32 backward differs visibly from the
     * double formula (e.g. {@code exp} overflowing to inf and giving nan in SoftMarginLoss, or a hinge's kink decided
     * in float arithmetic); the default is {@link #grad}.
     */
    default void gradF32(double a, double b, double c, double d, double g, double[] out) {
        grad(a, b, c, d, g, out);
    }
}

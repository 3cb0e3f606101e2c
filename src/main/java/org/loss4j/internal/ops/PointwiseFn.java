package org.loss4j.internal.ops;

/**
 * One element-wise loss term {@code f(a, b, c)} with its partial derivatives, e.g. MSE's {@code (a - b)^2}.
 * Operands are broadcast by the kernel; unused operands are 0. Implementations are stateless singletons or small
 * immutable objects holding options (margin, beta, eps...). Backends may recognise well-known functions by class
 * to run a native fused chain instead.
 */
public interface PointwiseFn {

    /** Short name shown by {@code explain}, e.g. {@code "squared_error"}. */
    String name();

    /** Number of operands used: 1, 2 or 3. */
    int arity();

    /** The loss term, computed in double. */
    double value(double a, double b, double c);

    /**
     * The loss term for single-precision tensors. Override where PyTorch's float32 arithmetic differs visibly from
     * the double formula (e.g. {@code exp} overflowing to inf in SoftMarginLoss); the default rounds nothing.
     */
    default double valueF32(double a, double b, double c) {
        return value(a, b, c);
    }

    /**
     * Writes {@code g * d f / d operand_k} into {@code d[k]} for k below {@link #arity()}. {@code d} has at least 3 entries.
     * Entries for operands that are not differentiable may be left untouched.
     */
    void grad(double a, double b, double c, double g, double[] d);
}

package org.loss4j.internal.vectors;

import org.loss4j.DType;

/**
 * Agreement with PyTorch, per dtype, in one place: an element passes if {@code |actual - expected| <= abs + rel *
 * |expected|}, or both are NaN, or both are the same infinity. A vector may loosen it only with a written reason.
 *
 * @param rel relative tolerance
 * @param abs absolute tolerance
 * @param why why this case needs more than the dtype's default ({@code ""} for the default)
 */
public record Tolerance(double rel, double abs, String why) {

    /** float32: PyTorch computes in float, loss4j's Java backend accumulates in double; 1e-5 is ~80 ulp. */
    public static final Tolerance F32 = new Tolerance(1e-5, 1e-6, "");
    /** float64: both compute in double; differences come from summation order only. */
    public static final Tolerance F64 = new Tolerance(1e-10, 1e-12, "");

    /**
     * bfloat16, norm-wise ({@link #normwise}): each element within 2e-2 of the largest |expected| of its tensor.
     * loss4j computes in float32 and rounds once; PyTorch rounds every intermediate of its composite losses and of
     * autograd's backward to bfloat16 (8 significant bits), so where terms cancel (sigmoid(x) - y, a gradient's sum of
     * products) its elements lose all relative accuracy: measured, a BCEWithLogits gradient element PyTorch gives as
     * 0.0 is -3.6e-4 in float32. The error of such a result is relative to the size of the terms, not of the element.
     */
    public static final Tolerance BF16 = new Tolerance(2e-2, 1e-5, "");

    /** This tolerance with {@code rel * max|expected|} added to its absolute part: a norm-wise comparison. */
    public Tolerance normwise(org.loss4j.Tensor expected) {
        double max = 0;
        for (long i = 0, n = expected.numel(); i < n; i++) {
            double e = Math.abs(expected.getDouble(i));
            if (Double.isFinite(e)) max = Math.max(max, e);
        }
        return new Tolerance(rel, abs + rel * max, why.isEmpty() ? "norm-wise" : why + "; norm-wise");
    }

    public static Tolerance of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case F64 -> F64;
            case BF16 -> BF16;
            default -> new Tolerance(0, 0, "");
        };
    }

    public boolean accepts(double actual, double expected) {
        if (Double.isNaN(expected)) return Double.isNaN(actual);
        if (Double.isInfinite(expected)) return actual == expected;
        return Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
    }
}

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

    public static Tolerance of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case F64 -> F64;
            default -> new Tolerance(0, 0, "");
        };
    }

    public boolean accepts(double actual, double expected) {
        if (Double.isNaN(expected)) return Double.isNaN(actual);
        if (Double.isInfinite(expected)) return actual == expected;
        return Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
    }
}

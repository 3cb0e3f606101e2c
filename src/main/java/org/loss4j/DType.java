package org.loss4j;

import java.lang.foreign.ValueLayout;

/**
 * Element types a {@link Tensor} can hold. Floating types carry values and gradients;
 * integer types carry class indices and lengths.
 */
public enum DType {
    /** 32-bit IEEE float ({@code torch.float32}). */
    F32(4, true, "float32"),
    /** 64-bit IEEE float ({@code torch.float64}). */
    F64(8, true, "float64"),
    /**
     * bfloat16 ({@code torch.bfloat16}): float32's sign and exponent with 8 significant bits. Accepted as the dtype
     * of every floating argument of a loss: loss4j widens it exactly to float32, computes in float32 and rounds the
     * loss and the gradients to bfloat16 (nearest-even), as PyTorch's CPU kernels compute reduced-precision types in
     * float. Never mixed with another floating dtype.
     */
    BF16(2, true, "bfloat16"),
    /** 64-bit signed integer ({@code torch.int64}, PyTorch's index type). */
    I64(8, false, "int64"),
    /** 32-bit signed integer ({@code torch.int32}). */
    I32(4, false, "int32");

    private final int byteSize;
    private final boolean floating;
    private final String torchName;

    DType(int byteSize, boolean floating, String torchName) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.torchName = torchName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F64 and BF16. */
    public boolean isFloating() {
        return floating;
    }

    /** The PyTorch dtype name, e.g. {@code float32}. */
    public String torchName() {
        return torchName;
    }

    /** The little-endian-agnostic (native order), unaligned layout used to read one element. */
    public ValueLayout layout() {
        return switch (this) {
            case F32 -> ValueLayout.JAVA_FLOAT_UNALIGNED;
            case F64 -> ValueLayout.JAVA_DOUBLE_UNALIGNED;
            case I64 -> ValueLayout.JAVA_LONG_UNALIGNED;
            case I32 -> ValueLayout.JAVA_INT_UNALIGNED;
            case BF16 -> ValueLayout.JAVA_SHORT_UNALIGNED;
        };
    }

    /** The float32 value of bfloat16 bits (exact: bfloat16 is float32's upper half). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** {@code v} rounded to bfloat16's bits: to nearest, ties to even; NaN stays a (quiet) NaN, infinities stay. */
    public static short floatToBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7FFFFFFF) > 0x7F800000) return (short) ((b >>> 16) | 0x0040); // NaN: keep it a NaN
        b += 0x7FFF + ((b >>> 16) & 1);
        return (short) (b >>> 16);
    }

    /** Parses {@code f32}, {@code float32}, {@code F32} and the other names of a dtype. */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "float" -> F32;
            case "f64", "float64", "double" -> F64;
            case "i64", "int64", "long" -> I64;
            case "i32", "int32", "int" -> I32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "'; expected one of f32, f64, bf16, i64, i32");
        };
    }
}

package org.loss4j.internal.java.vector;

import static jdk.incubator.vector.FloatVector.broadcast;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 {@code exp} and {@code log1p} written with plain lane arithmetic (FMAs and integer ops, no division), for
 * the loops where {@code VectorOperators.EXP}/{@code LOG1P} dominate. Those go through SVML stubs that cost more than
 * the arithmetic below at 16 lanes (measured on AVX-512: SVML exp 0.28 ns per element, {@link #expNegAbs} 0.17),
 * and they round differently in the interpreter and after C2 compiles a loop; these give the same bits at every tier.
 * Lane-wise {@code MIN}/{@code MAX} are avoided too: Java's NaN and signed-zero rules make each one several
 * instructions; a compare and a blend do here.
 *
 * <p>Accuracy, measured exhaustively over every float by {@code VectorMathTest} (run with
 * {@code -Dloss4j.test.mathStride=1}; CI samples every 61st) against {@code Math.exp}/{@code Math.log1p} in double:
 * {@code expNegAbs} within 0.89 ulp on [-87.33, 0] (as a function of {@code -|x|}) and {@code log1pUnit} within
 * 1.62 ulp on [0, 1]. Float32's tolerance against PyTorch is 1e-5 relative, about 80 ulp.
 *
 * <p>{@code expNegAbs}: Cody–Waite reduction {@code x = k ln2 + r}, |r| <= ln2/2, with ln2 split in two so
 * {@code k ln2} is exact; {@code e^r} by Horner's rule with Cephes' expf minimax coefficients; {@code 2^k} built from
 * the exponent bits and multiplied in. {@code log1pUnit}: {@code v Q(v)} with {@code Q} a degree-10 Chebyshev fit of {@code log1p(v)/v} on
 * [0, 1] (fitted in double with numpy, rounded to float; fit error 7e-10 relative).
 */
public final class VectorMath {

    /** The species of every loop here: the preferred one. */
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    // Constants are broadcast with FloatVector.broadcast where they are used: C2 hoists those out of the loop. Two
    // measured traps: lanewise(op, scalar) broadcasts a level deeper and in a large loop body pushed the Vector API's
    // own calls past C2's inlining depth (the vectors were then boxed: a BCE loop went from 0.6 to 4 ms per 1e6
    // elements, with garbage collections); static final FloatVector constants are reloaded from memory at each use.

    private static final float ZERO = 0f;
    private static final float ONE = 1f;
    public static final float LOG2E = 1.44269504088896341f;
    /** ln2 split: {@code LN2_HI} has 9 significant bits, so {@code k * LN2_HI} is exact for the k that occur. */
    public static final float MINUS_LN2_HI = -0.693359375f;
    public static final float MINUS_LN2_LO = 2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer kept in the low mantissa bits. */
    public static final float SHIFTER = 12582912f;
    /** {@link #SHIFTER}'s bits less the exponent bias, moved into the exponent field: subtracting it leaves 2^k's bits. */
    public static final int SCALE_BIAS_BITS = (Float.floatToRawIntBits(12582912f) - 127) << 23;
    /**
     * The integer species of the exponent bits, a constant: {@code SPECIES.withLanes(int.class)} evaluated where a loop
     * broadcasts its constants measured 6x slower.
     */
    private static final VectorSpecies<Integer> INT_SPECIES = SPECIES.withLanes(int.class);
    /** Below this e^x is not a normal float: the result is flushed to 0 there (PyTorch's subnormal is under 1.2e-38). */
    public static final float EXP_MIN_NORMAL_ARG = -87.33654f;

    public static final float P0 = 1.9875691500e-4f;
    public static final float P1 = 1.3981999507e-3f;
    public static final float P2 = 8.3334519073e-3f;
    public static final float P3 = 4.1665795894e-2f;
    public static final float P4 = 1.6666665459e-1f;
    public static final float P5 = 5.0000001201e-1f;

    /** log1p(v)/v on [0, 1], power basis, lowest degree first. */
    private static final float Q1 = -0.49999982f;
    private static final float Q2 = 0.33332568f;
    private static final float Q3 = -0.24987392f;
    private static final float Q4 = 0.19891538f;
    private static final float Q5 = -0.16108632f;
    private static final float Q6 = 0.12425103f;
    private static final float Q7 = -0.082535334f;
    private static final float Q8 = 0.04155762f;
    private static final float Q9 = -0.013444831f;
    private static final float Q10 = 0.0020376905f;

    private VectorMath() {}

    private static final ByteOrder BO = ByteOrder.nativeOrder();

    /**
     * {@code e[i] = exp(-|x[i]|)} for {@code i} in {@code [0, n)}, float32 at element offsets, {@code n} a multiple of
     * {@link #SPECIES}' lane count (the loop has no tail); {@code e} may be {@code x}'s memory. NaN stays NaN;
     * arguments below -87.33 (where e^x is subnormal or 0) give 0.
     *
     * <p>Shared through memory, not by passing vectors (see {@code KernelShapeTest} for why). The softmax rows keep
     * their own copies of the formula ({@code VectorRowKernels}: two exps per iteration, summed, with and without the
     * store, and a masked tail), and {@code VectorRowKernelsTest} checks they give these bits: one exp-and-sum method
     * serving both measured 0.34 instead of 0.25 ns per element whenever short calls (BCE's blocks) had warmed it up
     * first, the JIT's code depending on which caller it profiled.
     */
    public static void expNegAbs(MemorySegment x, long xOff, MemorySegment e, long eOff, int n) {
        VectorSpecies<Float> fs = SPECIES;
        int fl = fs.length();
        if (n % fl != 0) throw new IllegalArgumentException("n = " + n + " is not a multiple of " + fl + " lanes");
        FloatVector lo = broadcast(fs, EXP_MIN_NORMAL_ARG), zero = broadcast(fs, ZERO);
        FloatVector one = broadcast(fs, ONE), log2e = broadcast(fs, LOG2E), shifter = broadcast(fs, SHIFTER);
        FloatVector ln2hi = broadcast(fs, MINUS_LN2_HI), ln2lo = broadcast(fs, MINUS_LN2_LO);
        FloatVector p0 = broadcast(fs, P0), p1 = broadcast(fs, P1), p2 = broadcast(fs, P2);
        FloatVector p3 = broadcast(fs, P3), p4 = broadcast(fs, P4), p5 = broadcast(fs, P5);
        IntVector shift = IntVector.broadcast(INT_SPECIES, 23), bias = IntVector.broadcast(INT_SPECIES, SCALE_BIAS_BITS);
        for (int k = 0; k < n; k += fl) {
            FloatVector xe = FloatVector.fromMemorySegment(fs, x, (xOff + k) * Float.BYTES, BO).abs().neg();
            VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
            FloatVector xc = xe.blend(lo, tiny);
            // Cody-Waite: x = k ln2 + r, |r| <= ln2/2; t holds k in its low mantissa bits
            FloatVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
            FloatVector kf = t.sub(shifter);
            FloatVector r = kf.lanewise(VectorOperators.FMA, ln2lo, kf.lanewise(VectorOperators.FMA, ln2hi, xc));
            FloatVector p = r.lanewise(VectorOperators.FMA, p0, p1).lanewise(VectorOperators.FMA, r, p2)
                    .lanewise(VectorOperators.FMA, r, p3).lanewise(VectorOperators.FMA, r, p4)
                    .lanewise(VectorOperators.FMA, r, p5).lanewise(VectorOperators.FMA, r, one)
                    .lanewise(VectorOperators.FMA, r, one); // e^r in [0.7, 1.42]
            // 2^k (k >= -126: a normal float) built from t's bits, then one multiplication: adding k to the exponent
            // bits of e^r instead measured 40% slower (C2 materialises the reinterpreted result when it is stored)
            FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                    .sub(bias).reinterpretAsFloats();
            p.mul(scale).blend(zero, tiny).intoMemorySegment(e, (eOff + k) * Float.BYTES, BO);
        }
    }

    /**
     * {@code out[i] = log(1 + v[i])} for {@code v[i]} in [0, 1] (the range {@code log1p(exp(-|x|))} needs), float32 at
     * element offsets, {@code n} a multiple of {@link #SPECIES}' lane count (the loop has no tail); {@code out} may be
     * {@code v}'s memory. NaN stays NaN. The only vector log1p in loss4j.
     */
    public static void log1pUnit(MemorySegment v, long vOff, MemorySegment out, long outOff, int n) {
        VectorSpecies<Float> fs = SPECIES;
        int fl = fs.length();
        if (n % fl != 0) throw new IllegalArgumentException("n = " + n + " is not a multiple of " + fl + " lanes");
        FloatVector one = broadcast(fs, ONE);
        FloatVector q1 = broadcast(fs, Q1), q2 = broadcast(fs, Q2), q3 = broadcast(fs, Q3), q4 = broadcast(fs, Q4);
        FloatVector q5 = broadcast(fs, Q5), q6 = broadcast(fs, Q6), q7 = broadcast(fs, Q7), q8 = broadcast(fs, Q8);
        FloatVector q9 = broadcast(fs, Q9), q10 = broadcast(fs, Q10);
        for (int k = 0; k < n; k += fl) {
            FloatVector u = FloatVector.fromMemorySegment(fs, v, (vOff + k) * Float.BYTES, BO);
            FloatVector q = u.lanewise(VectorOperators.FMA, q10, q9).lanewise(VectorOperators.FMA, u, q8)
                    .lanewise(VectorOperators.FMA, u, q7).lanewise(VectorOperators.FMA, u, q6)
                    .lanewise(VectorOperators.FMA, u, q5).lanewise(VectorOperators.FMA, u, q4)
                    .lanewise(VectorOperators.FMA, u, q3).lanewise(VectorOperators.FMA, u, q2)
                    .lanewise(VectorOperators.FMA, u, q1).lanewise(VectorOperators.FMA, u, one);
            u.mul(q).intoMemorySegment(out, (outOff + k) * Float.BYTES, BO);
        }
    }
}

package org.loss4j.internal.java.vector;

import static jdk.incubator.vector.FloatVector.broadcast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 {@code exp} and {@code log1p} written with plain lane arithmetic (FMAs and integer ops, no division), for
 * the loops where {@code VectorOperators.EXP}/{@code LOG1P} dominate. Those go through SVML stubs that cost more than
 * the arithmetic below at 16 lanes (measured on AVX-512: SVML exp 0.28 ns per element, {@link #expNonPositive} 0.17),
 * and they round differently in the interpreter and after C2 compiles a loop; these give the same bits at every tier.
 * Lane-wise {@code MIN}/{@code MAX} are avoided too: Java's NaN and signed-zero rules make each one several
 * instructions; a compare and a blend do here.
 *
 * <p>Accuracy, measured exhaustively over every float by {@code VectorMathTest} (run with
 * {@code -Dloss4j.test.mathStride=1}; CI samples every 61st) against {@code Math.exp}/{@code Math.log1p} in double:
 * {@code expNonPositive} within 0.89 ulp on [-87.33, 0] and {@code log1pUnit} within 1.62 ulp on [0, 1]. Float32's
 * tolerance against PyTorch is 1e-5 relative, about 80 ulp.
 *
 * <p>{@code expNonPositive}: Cody–Waite reduction {@code x = k ln2 + r}, |r| <= ln2/2, with ln2 split in two so
 * {@code k ln2} is exact; {@code e^r} by Horner's rule with Cephes' expf minimax coefficients; {@code 2^k} built from
 * the exponent bits and multiplied in. {@code log1pUnit}: {@code v Q(v)} with {@code Q} a degree-10 Chebyshev fit of {@code log1p(v)/v} on
 * [0, 1] (fitted in double with numpy, rounded to float; fit error 7e-10 relative).
 */
public final class VectorMath {

    /** The species every method takes: the preferred one. Constants are vectors so no call broadcasts. */
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
    /** The shifter's bits, less the exponent bias, moved into the exponent field: subtracting them leaves the bits of 2^k. */
    /** {@link #SHIFTER}'s bits less the exponent bias, moved into the exponent field: subtracting it leaves 2^k's bits. */
    public static final int SCALE_BIAS_BITS = (Float.floatToRawIntBits(12582912f) - 127) << 23;
    // the two integer constants stay static vectors: broadcast here (through SPECIES.withLanes) measured 6x slower
    private static final IntVector SCALE_BIAS = IntVector.broadcast(SPECIES.withLanes(int.class), SCALE_BIAS_BITS);
    private static final IntVector TWENTY_THREE = IntVector.broadcast(SPECIES.withLanes(int.class), 23);
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

    /**
     * e^x lane-wise for x <= 0: NaN stays NaN, -inf and anything below -87.33 (where e^x is subnormal or 0) give 0.
     * For x > 0 the result is not specified.
     */
    public static FloatVector expNonPositive(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, broadcast(SPECIES, EXP_MIN_NORMAL_ARG));
        FloatVector xc = x.blend(broadcast(SPECIES, EXP_MIN_NORMAL_ARG), tiny);
        FloatVector t = xc.lanewise(VectorOperators.FMA, broadcast(SPECIES, LOG2E), broadcast(SPECIES, SHIFTER));
        FloatVector k = t.sub(broadcast(SPECIES, SHIFTER));
        FloatVector r = k.lanewise(VectorOperators.FMA, broadcast(SPECIES, MINUS_LN2_HI), xc);
        r = k.lanewise(VectorOperators.FMA, broadcast(SPECIES, MINUS_LN2_LO), r);
        FloatVector p = r.lanewise(VectorOperators.FMA, broadcast(SPECIES, P0), broadcast(SPECIES, P1));
        p = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, P2));
        p = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, P3));
        p = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, P4));
        p = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, P5));
        p = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, ONE));
        FloatVector y = p.lanewise(VectorOperators.FMA, r, broadcast(SPECIES, ONE)); // e^r in [0.7, 1.42]
        // 2^k (k >= -126: a normal float) built from t's bits, then one multiplication: adding k to y's exponent bits
        // instead measured 40% slower (C2 materialises the reinterpreted result when it is stored)
        FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, TWENTY_THREE)
                .sub(SCALE_BIAS).reinterpretAsFloats();
        return y.mul(scale).blend(broadcast(SPECIES, ZERO), tiny);
    }

    /** {@code max(x, 0)} lane-wise as a compare and a blend (NaN stays NaN; -0 stays -0). */
    public static FloatVector relu(FloatVector x) {
        return x.blend(broadcast(SPECIES, ZERO), x.compare(VectorOperators.LT, broadcast(SPECIES, ZERO)));
    }

    /** log(1 + v) lane-wise for v in [0, 1] (the range {@code log1p(exp(-|x|))} needs); NaN stays NaN. */
    public static FloatVector log1pUnit(FloatVector v) {
        FloatVector q = v.lanewise(VectorOperators.FMA, broadcast(SPECIES, Q10), broadcast(SPECIES, Q9));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q8));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q7));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q6));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q5));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q4));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q3));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q2));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, Q1));
        q = q.lanewise(VectorOperators.FMA, v, broadcast(SPECIES, ONE));
        return v.mul(q);
    }

    /** The logistic sigmoid from {@code e = exp(-|x|)}: {@code 1 / (1 + e)} where x >= 0, else {@code e / (1 + e)}. */
    public static FloatVector sigmoidFromExpNegAbs(FloatVector x, FloatVector e) {
        FloatVector one = broadcast(SPECIES, ONE);
        return e.blend(one, x.compare(VectorOperators.GE, broadcast(SPECIES, ZERO))).div(e.add(one));
    }
}

package org.loss4j.internal.java.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PairKernels} on {@code jdk.incubator.vector}. Loaded only by {@link Vectorization}, reflectively, after it
 * checked that the module is present: nothing else may refer to this class. Values are computed in float lanes
 * (exactly the scalar float arithmetic), converted to double lanes and summed there; gradients are computed in
 * double lanes and rounded to float, as the scalar kernels do. Tails run the scalar kernels.
 */
final class PanamaPairKernels implements PairKernels {

    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** As many float lanes as double lanes: one float vector converts to one double vector. */
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.length() * Float.SIZE));
    private static final int L = FS.length();
    /** The widest float species, for kernels whose cost is arithmetic rather than memory (two double vectors each). */
    private static final VectorSpecies<Float> WS = VectorMath.SPECIES;
    private static final int WL = WS.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();

    private PanamaPairKernels() {}

    /** The preferred vector size in bits (the start-up check needs at least 256). */
    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    static PairKernels create() {
        return new PanamaPairKernels();
    }

    @Override
    public String description() {
        return "panama-vector " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit (" + L + " lanes, double accumulation)";
    }

    /**
     * Elements per block where a kernel runs as several passes (BCE's exp, log1p and gradient; the second gradient's
     * negation): a block of each operand stays in L1 between the passes. A multiple of every lane count; BCE keeps
     * two blocks in this thread's {@link Scratch} (its exps, then their log1p).
     */
    private static final int BLOCK = Scratch.FLOATS / 2;

    // No method here takes or returns a vector, and the shared math (VectorMath) is shared through memory: a vector
    // that crosses a call C2 did not inline is boxed on the heap, and whether C2 inlines a helper of ours depends on
    // compile order (KernelShapeTest has the story). So each loop below is written out whole.

    @Override
    public double run(int kind, double param, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
                      double g, long from, long to) {
        long upper = from + (to - from) / L * L;
        double s;
        if (kind == LOGITS_BCE) {
            upper = from + (to - from) / WL * WL;
            s = logitsBce(a, b, ga, gb, g, from, upper);
        } else if (kind == KL_DIV) {
            s = klDiv(a, b, ga, gb, g, from, upper);
        } else if (ga == null && gb == null) {
            s = switch (kind) {
                case SQUARED -> squared(a, b, from, upper);
                case ABSOLUTE -> absolute(a, b, from, upper);
                case SMOOTH_L1 -> smoothL1(param, a, b, from, upper);
                case HUBER -> huber(param, a, b, from, upper);
                default -> throw new IllegalArgumentException("unknown pair kernel " + kind);
            };
        } else {
            // these terms have gb = -ga: each loop writes one gradient (gb's through -g, which negates every product
            // exactly), and where both are wanted gb is ga negated block by block, while the block is in L1
            MemorySegment out = ga != null ? ga : gb;
            double gs = ga != null ? g : -g;
            boolean both = ga != null && gb != null;
            s = 0;
            for (long start = from, end; start < upper; start = end) {
                end = both ? Math.min(upper, start + BLOCK) : upper;
                s += switch (kind) {
                    case SQUARED -> squaredGrad(a, b, out, gs, start, end);
                    case ABSOLUTE -> absoluteGrad(a, b, out, gs, start, end);
                    case SMOOTH_L1 -> smoothL1Grad(param, a, b, out, gs, start, end);
                    case HUBER -> huberGrad(param, a, b, out, gs, start, end);
                    default -> throw new IllegalArgumentException("unknown pair kernel " + kind);
                };
                if (both) negate(ga, gb, start, end);
            }
        }
        return s + ScalarPairKernels.INSTANCE.run(kind, param, a, b, ga, gb, g, upper, to);
    }

    private static void negate(MemorySegment src, MemorySegment dst, long from, long upper) {
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector.fromMemorySegment(FS, src, at, BO).neg().intoMemorySegment(dst, at, BO);
        }
    }

    // ------------------------------------------------------------------ squared error

    private static double squared(MemorySegment a, MemorySegment b, long from, long upper) {
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            long at = i * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            FloatVector d1 = FloatVector.fromMemorySegment(FS, a, at + L * 4L, BO)
                    .sub(FloatVector.fromMemorySegment(FS, b, at + L * 4L, BO));
            acc0 = acc0.add((DoubleVector) d0.mul(d0).convertShape(VectorOperators.F2D, DS, 0));
            acc1 = acc1.add((DoubleVector) d1.mul(d1).convertShape(VectorOperators.F2D, DS, 0));
        }
        for (; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            acc0 = acc0.add((DoubleVector) d0.mul(d0).convertShape(VectorOperators.F2D, DS, 0));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** Writes {@code 2 (a - b) g} into {@code out}: ga, or gb with g negated. */
    private static double squaredGrad(MemorySegment a, MemorySegment b, MemorySegment out, double g, long from, long upper) {
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector g2 = DoubleVector.broadcast(DS, 2 * g);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(FS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(FS, b, at, BO);
            FloatVector d = x.sub(y);
            acc = acc.add((DoubleVector) d.mul(d).convertShape(VectorOperators.F2D, DS, 0));
            DoubleVector xd = (DoubleVector) x.convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector yd = (DoubleVector) y.convertShape(VectorOperators.F2D, DS, 0);
            xd.sub(yd).mul(g2).convertShape(VectorOperators.D2F, FS, 0).intoMemorySegment(out, at, BO);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ absolute error

    private static double absolute(MemorySegment a, MemorySegment b, long from, long upper) {
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            long at = i * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            FloatVector d1 = FloatVector.fromMemorySegment(FS, a, at + L * 4L, BO)
                    .sub(FloatVector.fromMemorySegment(FS, b, at + L * 4L, BO));
            acc0 = acc0.add((DoubleVector) d0.abs().convertShape(VectorOperators.F2D, DS, 0));
            acc1 = acc1.add((DoubleVector) d1.abs().convertShape(VectorOperators.F2D, DS, 0));
        }
        for (; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            acc0 = acc0.add((DoubleVector) d0.abs().convertShape(VectorOperators.F2D, DS, 0));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** Writes {@code sign(a - b) g} into {@code out}: ga, or gb with g negated. */
    private static double absoluteGrad(MemorySegment a, MemorySegment b, MemorySegment out, double g, long from, long upper) {
        DoubleVector acc = DoubleVector.zero(DS);
        float gf = (float) g;
        FloatVector zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        FloatVector minusOne = FloatVector.broadcast(FS, -1f);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            acc = acc.add((DoubleVector) d.abs().convertShape(VectorOperators.F2D, DS, 0));
            FloatVector sign = zero.blend(one, d.compare(VectorOperators.GT, 0f)).blend(minusOne, d.compare(VectorOperators.LT, 0f));
            sign.mul(gf).intoMemorySegment(out, at, BO);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ smooth L1: |d| < beta ? 0.5 d^2 / beta : |d| - beta / 2

    private static double smoothL1(double beta, MemorySegment a, MemorySegment b, long from, long upper) {
        float betaF = (float) beta;
        float halfBeta = 0.5f * betaF;
        DoubleVector acc = DoubleVector.zero(DS);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector z = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO)).abs();
            FloatVector v = z.sub(halfBeta).blend(z.mul(0.5f).mul(z).div(betaF), z.compare(VectorOperators.LT, betaF));
            acc = acc.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Writes {@code clamp(d / beta, -1, 1) g} (computed as {@code d g / beta} inside) into {@code out}. */
    private static double smoothL1Grad(double beta, MemorySegment a, MemorySegment b, MemorySegment out, double g,
                                       long from, long upper) {
        float betaF = (float) beta;
        float halfBeta = 0.5f * betaF;
        double betaD = betaF;
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector plus = DoubleVector.broadcast(DS, g);
        DoubleVector minus = DoubleVector.broadcast(DS, -g);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            FloatVector z = d.abs();
            FloatVector v = z.sub(halfBeta).blend(z.mul(0.5f).mul(z).div(betaF), z.compare(VectorOperators.LT, betaF));
            acc = acc.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            DoubleVector x = (DoubleVector) d.convertShape(VectorOperators.F2D, DS, 0);
            x.mul(g).div(betaD)
                    .blend(plus, x.compare(VectorOperators.GE, betaD))
                    .blend(minus, x.compare(VectorOperators.LE, -betaD))
                    .convertShape(VectorOperators.D2F, FS, 0).intoMemorySegment(out, at, BO);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ Huber: |d| < delta ? 0.5 d^2 : delta (|d| - delta / 2)

    private static double huber(double delta, MemorySegment a, MemorySegment b, long from, long upper) {
        float deltaF = (float) delta;
        float halfDelta = 0.5f * deltaF;
        DoubleVector acc = DoubleVector.zero(DS);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector z = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO)).abs();
            FloatVector v = z.sub(halfDelta).mul(deltaF).blend(z.mul(0.5f).mul(z), z.compare(VectorOperators.LT, deltaF));
            acc = acc.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Writes {@code clamp(d, -delta, delta) g} (computed as {@code d g} inside) into {@code out}. */
    private static double huberGrad(double delta, MemorySegment a, MemorySegment b, MemorySegment out, double g,
                                    long from, long upper) {
        float deltaF = (float) delta;
        float halfDelta = 0.5f * deltaF;
        double deltaD = deltaF;
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector plus = DoubleVector.broadcast(DS, deltaD * g);
        DoubleVector minus = DoubleVector.broadcast(DS, -(deltaD * g));
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(FS, a, at, BO).sub(FloatVector.fromMemorySegment(FS, b, at, BO));
            FloatVector z = d.abs();
            FloatVector v = z.sub(halfDelta).mul(deltaF).blend(z.mul(0.5f).mul(z), z.compare(VectorOperators.LT, deltaF));
            acc = acc.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            DoubleVector x = (DoubleVector) d.convertShape(VectorOperators.F2D, DS, 0);
            x.mul(g)
                    .blend(plus, x.compare(VectorOperators.GE, deltaD))
                    .blend(minus, x.compare(VectorOperators.LE, -deltaD))
                    .convertShape(VectorOperators.D2F, FS, 0).intoMemorySegment(out, at, BO);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ binary cross-entropy with logits

    /**
     * Loss {@code (1 - y) x - min(x, 0) + log1p(exp(-|x|))} (PyTorch's {@code (1 - y) x - logsigmoid(x)}) in float
     * lanes, summed in double; gradients {@code (sigmoid(x) - y) g} and {@code -x g} in float lanes. Per block, in
     * passes over L1: {@code exp(-|x|)} (into the input gradient's memory, or scratch), its log1p into scratch, the
     * loss summed from that, then the sigmoid gradient from the exps. One exp per element serves loss and gradient.
     */
    private static double logitsBce(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                                    long from, long upper) {
        MemorySegment scratch = Scratch.floats();
        float gf = (float) g;
        double sum = 0;
        for (long start = from; start < upper; start += BLOCK) {
            int n = (int) Math.min(BLOCK, upper - start);
            MemorySegment e = ga != null ? ga : scratch;
            long eOff = ga != null ? start : 0;
            VectorMath.expNegAbs(a, start, e, eOff, n);
            VectorMath.log1pUnit(e, eOff, scratch, BLOCK, n);
            sum += logitsBceValue(a, b, scratch, start, n);
            if (ga != null) logitsBceSigmoidGrad(a, b, ga, gf, start, n);
        }
        if (gb != null) logitsBceGradTarget(a, gb, gf, from, upper);
        return sum;
    }

    /** The loss over {@code n} elements from {@code from}, given {@code log1p(exp(-|x|))} at scratch[BLOCK...]. */
    private static double logitsBceValue(MemorySegment a, MemorySegment b, MemorySegment scratch, long from, int n) {
        FloatVector zero = FloatVector.zero(WS), one = FloatVector.broadcast(WS, 1f);
        DoubleVector acc0 = DoubleVector.zero(DS), acc1 = DoubleVector.zero(DS);
        for (int k = 0; k < n; k += WL) {
            long at = (from + k) * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(WS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(WS, b, at, BO);
            FloatVector l = FloatVector.fromMemorySegment(WS, scratch, (BLOCK + k) * (long) Float.BYTES, BO);
            // (1 - y) x - min(x, 0) + l, in the scalar kernel's order: max(x, 0) - x y differs at x = inf, y > 1
            FloatVector v = one.sub(y).mul(x).sub(x.blend(zero, x.compare(VectorOperators.GT, zero))).add(l);
            acc0 = acc0.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            acc1 = acc1.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** {@code ga = (sigmoid(x) - y) g} in place over {@code ga = exp(-|x|)}; sigmoid is 1/(1+e) for x >= 0, else e/(1+e). */
    private static void logitsBceSigmoidGrad(MemorySegment a, MemorySegment b, MemorySegment ga, float gs, long from, int n) {
        FloatVector g = FloatVector.broadcast(WS, gs);
        FloatVector zero = FloatVector.zero(WS), one = FloatVector.broadcast(WS, 1f);
        for (int k = 0; k < n; k += WL) {
            long at = (from + k) * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(WS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(WS, b, at, BO);
            FloatVector e = FloatVector.fromMemorySegment(WS, ga, at, BO);
            FloatVector sigmoid = e.blend(one, x.compare(VectorOperators.GE, zero)).div(e.add(one));
            sigmoid.sub(y).mul(g).intoMemorySegment(ga, at, BO);
        }
    }

    private static void logitsBceGradTarget(MemorySegment a, MemorySegment gb, float g, long from, long upper) {
        for (long i = from; i < upper; i += WL) {
            long at = i * Float.BYTES;
            FloatVector.fromMemorySegment(WS, a, at, BO).mul(-g).intoMemorySegment(gb, at, BO);
        }
    }

    // ------------------------------------------------------------------ KL divergence

    private static double klDiv(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                                long from, long upper) {
        DoubleVector acc = DoubleVector.zero(DS);
        FloatVector zero = FloatVector.zero(FS);
        DoubleVector zeroD = DoubleVector.zero(DS);
        DoubleVector gv = DoubleVector.broadcast(DS, g);
        for (long i = from; i < upper; i += L) {
            long at = i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(FS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(FS, b, at, BO);
            FloatVector xl = y.mul(y.lanewise(VectorOperators.LOG)).blend(zero, y.compare(VectorOperators.EQ, 0f));
            acc = acc.add((DoubleVector) xl.sub(y.mul(x)).convertShape(VectorOperators.F2D, DS, 0));
            if (ga != null || gb != null) {
                DoubleVector yd = (DoubleVector) y.convertShape(VectorOperators.F2D, DS, 0);
                if (ga != null) yd.neg().mul(g).convertShape(VectorOperators.D2F, FS, 0).intoMemorySegment(ga, at, BO);
                if (gb != null) {
                    DoubleVector logB = yd.lanewise(VectorOperators.LOG).blend(zeroD, yd.compare(VectorOperators.EQ, 0.0));
                    DoubleVector xd = (DoubleVector) x.convertShape(VectorOperators.F2D, DS, 0);
                    DoubleVector t = gv.mul(logB).add(gv.mul(yd).div(yd)).sub(gv.mul(xd));
                    t.convertShape(VectorOperators.D2F, FS, 0).intoMemorySegment(gb, at, BO);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ bfloat16 conversions

    private static final VectorSpecies<Integer> IS = VectorMath.SPECIES.withLanes(int.class);
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(IS.length() * Short.SIZE));

    @Override
    public void widenBf16(MemorySegment src, MemorySegment dst, long n) {
        int l = IS.length();
        long upper = n / l * l;
        IntVector sixteen = IntVector.broadcast(IS, 16);
        for (long i = 0; i < upper; i += l) {
            ShortVector h = ShortVector.fromMemorySegment(SS, src, i * 2, BO);
            ((IntVector) h.convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, sixteen)
                    .intoMemorySegment(dst, i * 4, BO);
        }
        ScalarPairKernels.widenBf16(src, dst, upper, n);
    }

    @Override
    public void narrowBf16(MemorySegment src, MemorySegment dst, long n) {
        int l = IS.length();
        long upper = n / l * l;
        IntVector sixteen = IntVector.broadcast(IS, 16);
        IntVector one = IntVector.broadcast(IS, 1);
        IntVector half = IntVector.broadcast(IS, 0x7FFF);
        IntVector absMask = IntVector.broadcast(IS, 0x7FFFFFFF);
        IntVector inf = IntVector.broadcast(IS, 0x7F800000);
        IntVector quiet = IntVector.broadcast(IS, 0x00400000);
        for (long i = 0; i < upper; i += l) {
            IntVector b = IntVector.fromMemorySegment(IS, src, i * 4, BO);
            // nearest, ties to even: add 0x7FFF plus the lowest kept bit; a NaN keeps its upper bits, made quiet
            IntVector rounded = b.add(half).add(b.lanewise(VectorOperators.LSHR, sixteen).and(one));
            IntVector r = rounded.blend(b.or(quiet), b.and(absMask).compare(VectorOperators.GT, inf));
            ((ShortVector) r.lanewise(VectorOperators.LSHR, sixteen).convertShape(VectorOperators.I2S, SS, 0))
                    .intoMemorySegment(dst, i * 2, BO);
        }
        ScalarPairKernels.narrowBf16(src, dst, upper, n);
    }
}

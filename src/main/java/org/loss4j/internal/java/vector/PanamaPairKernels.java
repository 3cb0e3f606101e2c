package org.loss4j.internal.java.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
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

    @Override
    public double run(int kind, double param, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
                      double g, long from, long to) {
        long upper = from + (to - from) / L * L;
        boolean grads = ga != null || gb != null;
        double s;
        switch (kind) {
            case SQUARED -> s = grads ? squaredGrad(a, b, ga, gb, g, from, upper) : squared(a, b, from, upper);
            case ABSOLUTE -> s = grads ? absoluteGrad(a, b, ga, gb, g, from, upper) : absolute(a, b, from, upper);
            case SMOOTH_L1 -> s = grads ? smoothL1Grad(param, a, b, ga, gb, g, from, upper) : smoothL1(param, a, b, from, upper);
            case HUBER -> s = grads ? huberGrad(param, a, b, ga, gb, g, from, upper) : huber(param, a, b, from, upper);
            case LOGITS_BCE -> {
                upper = from + (to - from) / WL * WL;
                s = logitsBce(a, b, ga, gb, g, from, upper);
            }
            case KL_DIV -> s = klDiv(a, b, ga, gb, g, from, upper);
            default -> throw new IllegalArgumentException("unknown pair kernel " + kind);
        }
        return s + ScalarPairKernels.INSTANCE.run(kind, param, a, b, ga, gb, g, upper, to);
    }

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(FS, m, i * Float.BYTES, BO);
    }

    private static DoubleVector wide(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0);
    }

    private static FloatVector narrow(DoubleVector v) {
        return (FloatVector) v.convertShape(VectorOperators.D2F, FS, 0);
    }

    private static void store(FloatVector t, MemorySegment ga, MemorySegment gb, long i) {
        if (ga != null) t.intoMemorySegment(ga, i * Float.BYTES, BO);
        if (gb != null) t.neg().intoMemorySegment(gb, i * Float.BYTES, BO);
    }

    // ------------------------------------------------------------------ squared error

    private static double squared(MemorySegment a, MemorySegment b, long from, long upper) {
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            FloatVector d0 = load(a, i).sub(load(b, i));
            FloatVector d1 = load(a, i + L).sub(load(b, i + L));
            acc0 = acc0.add(wide(d0.mul(d0)));
            acc1 = acc1.add(wide(d1.mul(d1)));
        }
        for (; i < upper; i += L) {
            FloatVector d0 = load(a, i).sub(load(b, i));
            acc0 = acc0.add(wide(d0.mul(d0)));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static double squaredGrad(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                                      long from, long upper) {
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector g2 = DoubleVector.broadcast(DS, 2 * g);
        for (long i = from; i < upper; i += L) {
            FloatVector x = load(a, i);
            FloatVector y = load(b, i);
            FloatVector d = x.sub(y);
            acc = acc.add(wide(d.mul(d)));
            store(narrow(wide(x).sub(wide(y)).mul(g2)), ga, gb, i);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ absolute error

    private static double absolute(MemorySegment a, MemorySegment b, long from, long upper) {
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            acc0 = acc0.add(wide(load(a, i).sub(load(b, i)).abs()));
            acc1 = acc1.add(wide(load(a, i + L).sub(load(b, i + L)).abs()));
        }
        for (; i < upper; i += L) {
            acc0 = acc0.add(wide(load(a, i).sub(load(b, i)).abs()));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static double absoluteGrad(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                                       long from, long upper) {
        DoubleVector acc = DoubleVector.zero(DS);
        float gf = (float) g;
        FloatVector zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        FloatVector minusOne = FloatVector.broadcast(FS, -1f);
        for (long i = from; i < upper; i += L) {
            FloatVector d = load(a, i).sub(load(b, i));
            acc = acc.add(wide(d.abs()));
            FloatVector sign = zero.blend(one, d.compare(VectorOperators.GT, 0f)).blend(minusOne, d.compare(VectorOperators.LT, 0f));
            store(sign.mul(gf), ga, gb, i);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ smooth L1

    private static FloatVector smoothL1Value(FloatVector d, float betaF, float halfBeta) {
        FloatVector z = d.abs();
        FloatVector small = z.mul(0.5f).mul(z).div(betaF);
        FloatVector large = z.sub(halfBeta);
        return large.blend(small, z.compare(VectorOperators.LT, betaF));
    }

    private static double smoothL1(double beta, MemorySegment a, MemorySegment b, long from, long upper) {
        float betaF = (float) beta;
        float halfBeta = 0.5f * betaF;
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            acc0 = acc0.add(wide(smoothL1Value(load(a, i).sub(load(b, i)), betaF, halfBeta)));
            acc1 = acc1.add(wide(smoothL1Value(load(a, i + L).sub(load(b, i + L)), betaF, halfBeta)));
        }
        for (; i < upper; i += L) {
            acc0 = acc0.add(wide(smoothL1Value(load(a, i).sub(load(b, i)), betaF, halfBeta)));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static double smoothL1Grad(double beta, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
                                       double g, long from, long upper) {
        float betaF = (float) beta;
        float halfBeta = 0.5f * betaF;
        double betaD = betaF;
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector plus = DoubleVector.broadcast(DS, g);
        DoubleVector minus = DoubleVector.broadcast(DS, -g);
        for (long i = from; i < upper; i += L) {
            FloatVector d = load(a, i).sub(load(b, i));
            acc = acc.add(wide(smoothL1Value(d, betaF, halfBeta)));
            DoubleVector x = wide(d);
            DoubleVector t = x.mul(g).div(betaD)
                    .blend(plus, x.compare(VectorOperators.GE, betaD))
                    .blend(minus, x.compare(VectorOperators.LE, -betaD));
            store(narrow(t), ga, gb, i);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ Huber

    private static FloatVector huberValue(FloatVector d, float deltaF, float halfDelta) {
        FloatVector z = d.abs();
        FloatVector small = z.mul(0.5f).mul(z);
        FloatVector large = z.sub(halfDelta).mul(deltaF);
        return large.blend(small, z.compare(VectorOperators.LT, deltaF));
    }

    private static double huber(double delta, MemorySegment a, MemorySegment b, long from, long upper) {
        float deltaF = (float) delta;
        float halfDelta = 0.5f * deltaF;
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = DoubleVector.zero(DS);
        long i = from;
        for (; i + L < upper; i += 2L * L) {
            acc0 = acc0.add(wide(huberValue(load(a, i).sub(load(b, i)), deltaF, halfDelta)));
            acc1 = acc1.add(wide(huberValue(load(a, i + L).sub(load(b, i + L)), deltaF, halfDelta)));
        }
        for (; i < upper; i += L) {
            acc0 = acc0.add(wide(huberValue(load(a, i).sub(load(b, i)), deltaF, halfDelta)));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static double huberGrad(double delta, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
                                    double g, long from, long upper) {
        float deltaF = (float) delta;
        float halfDelta = 0.5f * deltaF;
        double deltaD = deltaF;
        DoubleVector acc = DoubleVector.zero(DS);
        DoubleVector plus = DoubleVector.broadcast(DS, deltaD * g);
        DoubleVector minus = DoubleVector.broadcast(DS, -(deltaD * g));
        for (long i = from; i < upper; i += L) {
            FloatVector d = load(a, i).sub(load(b, i));
            acc = acc.add(wide(huberValue(d, deltaF, halfDelta)));
            DoubleVector x = wide(d);
            VectorMask<Double> hi = x.compare(VectorOperators.GE, deltaD);
            DoubleVector t = x.mul(g).blend(plus, hi).blend(minus, x.compare(VectorOperators.LE, -deltaD));
            store(narrow(t), ga, gb, i);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ binary cross-entropy with logits

    /**
     * Loss {@code (1 - y) x - min(x, 0) + log1p(exp(-|x|))} (PyTorch's {@code (1 - y) x - logsigmoid(x)}) in float lanes,
     * summed in double; gradients {@code (sigmoid(x) - y) g} and {@code -x g} in float lanes. One
     * {@link VectorMath#expNonPositive} per element serves the loss and the sigmoid.
     */
    private static double logitsBce(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                                    long from, long upper) {
        if (ga == null && gb == null) return logitsBceValue(a, b, from, upper);
        // one loop per set of gradients: a branch on a store inside the loop makes C2 box the vectors
        if (gb == null) return logitsBceGradInput(a, b, ga, (float) g, from, upper);
        double s = ga == null ? logitsBceValue(a, b, from, upper) : logitsBceGradInput(a, b, ga, (float) g, from, upper);
        logitsBceGradTarget(a, gb, (float) g, from, upper);
        return s;
    }

    private static double logitsBceValue(MemorySegment a, MemorySegment b, long from, long upper) {
        FloatVector zero = FloatVector.zero(WS), one = FloatVector.broadcast(WS, 1f);
        DoubleVector acc0 = DoubleVector.zero(DS), acc1 = DoubleVector.zero(DS);
        for (long i = from; i < upper; i += WL) {
            long at = i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(WS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(WS, b, at, BO);
            FloatVector l = VectorMath.log1pUnit(VectorMath.expNonPositive(x.abs().neg()));
            // (1 - y) x - min(x, 0) + l, in the scalar kernel's order: max(x, 0) - x y differs at x = inf, y > 1
            FloatVector v = one.sub(y).mul(x).sub(x.blend(zero, x.compare(VectorOperators.GT, zero))).add(l);
            acc0 = acc0.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            acc1 = acc1.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** Elements per block of the three-pass gradient: x, y and the gradient's block stay in L1 between the passes. */
    private static final int BCE_BLOCK = 1024;

    /**
     * Value and input gradient in blocks of three small passes: {@code exp(-|x|)} into the gradient's memory, the loss
     * summed from it, then {@code (sigmoid(x) - y) g} over it. Loops that do two of these at once measured up to twice
     * as slow: past a size C2 stops inlining the Vector API calls of a loop body and boxes the vectors.
     */
    private static double logitsBceGradInput(MemorySegment a, MemorySegment b, MemorySegment ga, float g, long from, long upper) {
        double sum = 0;
        for (long start = from; start < upper; start += BCE_BLOCK) {
            long end = Math.min(upper, start + BCE_BLOCK);
            expNegAbs(a, ga, start, end);
            sum += logitsBceValueFromExp(a, b, ga, start, end);
            logitsBceSigmoidGrad(a, b, ga, g, start, end);
        }
        return sum;
    }

    private static void expNegAbs(MemorySegment a, MemorySegment e, long from, long upper) {
        for (long i = from; i < upper; i += WL) {
            long at = i * Float.BYTES;
            VectorMath.expNonPositive(FloatVector.fromMemorySegment(WS, a, at, BO).abs().neg()).intoMemorySegment(e, at, BO);
        }
    }

    private static double logitsBceValueFromExp(MemorySegment a, MemorySegment b, MemorySegment e, long from, long upper) {
        FloatVector zero = FloatVector.zero(WS), one = FloatVector.broadcast(WS, 1f);
        DoubleVector acc0 = DoubleVector.zero(DS), acc1 = DoubleVector.zero(DS);
        for (long i = from; i < upper; i += WL) {
            long at = i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(WS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(WS, b, at, BO);
            FloatVector l = VectorMath.log1pUnit(FloatVector.fromMemorySegment(WS, e, at, BO));
            // (1 - y) x - min(x, 0) + l, in the scalar kernel's order: max(x, 0) - x y differs at x = inf, y > 1
            FloatVector v = one.sub(y).mul(x).sub(x.blend(zero, x.compare(VectorOperators.GT, zero))).add(l);
            acc0 = acc0.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            acc1 = acc1.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** {@code g} is passed as a float: a vector argument to a method that is not inlined is boxed on the heap. */
    private static void logitsBceSigmoidGrad(MemorySegment a, MemorySegment b, MemorySegment ga, float gs, long from, long upper) {
        FloatVector g = FloatVector.broadcast(WS, gs);
        for (long i = from; i < upper; i += WL) {
            long at = i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(WS, a, at, BO);
            FloatVector y = FloatVector.fromMemorySegment(WS, b, at, BO);
            FloatVector e = FloatVector.fromMemorySegment(WS, ga, at, BO);
            VectorMath.sigmoidFromExpNegAbs(x, e).sub(y).mul(g).intoMemorySegment(ga, at, BO);
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
            FloatVector x = load(a, i);
            FloatVector y = load(b, i);
            FloatVector xl = y.mul(y.lanewise(VectorOperators.LOG)).blend(zero, y.compare(VectorOperators.EQ, 0f));
            acc = acc.add(wide(xl.sub(y.mul(x))));
            if (ga != null || gb != null) {
                DoubleVector yd = wide(y);
                if (ga != null) narrow(yd.neg().mul(g)).intoMemorySegment(ga, i * Float.BYTES, BO);
                if (gb != null) {
                    DoubleVector logB = yd.lanewise(VectorOperators.LOG).blend(zeroD, yd.compare(VectorOperators.EQ, 0.0));
                    DoubleVector t = gv.mul(logB).add(gv.mul(yd).div(yd)).sub(gv.mul(wide(x)));
                    narrow(t).intoMemorySegment(gb, i * Float.BYTES, BO);
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

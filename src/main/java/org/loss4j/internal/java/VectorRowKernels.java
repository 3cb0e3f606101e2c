package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.loss4j.internal.java.vector.VectorMath;

/**
 * {@link RowKernels} over {@code jdk.incubator.vector}, loaded only when that module is present. Float32 exps are
 * taken in float lanes ({@link VectorMath#expNegAbs}'s formula: within 0.9 ulp, flushing results below 1.2e-38 to 0) and
 * summed in double lanes; float64 exps in double lanes ({@code VectorOperators.EXP}). Tails run the scalar code.
 */
final class VectorRowKernels implements RowKernels {

    private static final VectorSpecies<Float> FS = VectorMath.SPECIES;
    private static final VectorSpecies<Integer> IS = FS.withLanes(int.class);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final int FL = FS.length();
    private static final int DL = DS.length();
    private static final RowKernels SCALAR = RowKernels.scalar();

    @Override
    public double maxF32(MemorySegment x, long off, int n) {
        int bound = FS.loopBound(n);
        double m = Double.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector acc = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY), acc1 = acc, acc2 = acc, acc3 = acc;
            int k = 0;
            for (; k + 4 * FL <= bound; k += 4 * FL) { // four chains: MAX's latency, not its throughput, bounds one
                long at = (off + k) * 4;
                acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(FS, x, at, BO));
                acc1 = acc1.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(FS, x, at + 4L * FL, BO));
                acc2 = acc2.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(FS, x, at + 8L * FL, BO));
                acc3 = acc3.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(FS, x, at + 12L * FL, BO));
            }
            for (; k < bound; k += FL) {
                acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(FS, x, (off + k) * 4, BO));
            }
            acc = acc.lanewise(VectorOperators.MAX, acc1).lanewise(VectorOperators.MAX, acc2.lanewise(VectorOperators.MAX, acc3));
            m = acc.reduceLanes(VectorOperators.MAX); // NaN-propagating, as Math.max
            if (m != m) return m;
        }
        if (bound < n) {
            var mask = FS.indexInRange(bound, n);
            FloatVector v = FloatVector.fromMemorySegment(FS, x, (off + bound) * 4, BO, mask)
                    .blend(Float.NEGATIVE_INFINITY, mask.not());
            double t = v.reduceLanes(VectorOperators.MAX);
            if (t > m || t != t) m = t;
        }
        return m;
    }

    @Override
    public double maxF64(MemorySegment x, long off, int n) {
        int bound = DS.loopBound(n);
        double m = Double.NEGATIVE_INFINITY;
        if (bound > 0) {
            DoubleVector acc = DoubleVector.broadcast(DS, Double.NEGATIVE_INFINITY);
            for (int k = 0; k < bound; k += DL) {
                acc = acc.lanewise(VectorOperators.MAX, DoubleVector.fromMemorySegment(DS, x, (off + k) * 8, BO));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
            if (m != m) return m;
        }
        if (bound < n) {
            double t = SCALAR.maxF64(x, off + bound, n - bound);
            if (t > m || t != t) m = t;
        }
        return m;
    }

    @Override
    public double expSumF32(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff) {
        if (n < 2 * FL) return expTailF32(x, off, 0, n, m, e, eoff); // short rows: all tail
        return e == null ? expSumF32(x, off, n, m) : expSumStoreF32(x, off, n, m, e, eoff);
    }

    // exp(x - m) with x - m <= 0 is VectorMath.expNegAbs's formula written out in the loop, twice per iteration (one
    // conversion to double per two vectors), in two loops (with and without the store) and the masked tail: five
    // copies, which VectorRowKernelsTest holds to expNegAbs's bits. Why not shared: a vector passed to or returned
    // from a method C2 did not inline is boxed on the heap, and whether it inlines one depends on compile order
    // (KernelShapeTest); and sharing through memory, one exp-and-sum method for these rows and BCE's blocks, measured
    // 0.34 instead of 0.25 ns per element whenever the short calls warmed it up first, against 0.21 for the no-store
    // loop here. Written out, each loop is too large (> FreqInlineSize) to be inlined into its callers, so each is
    // compiled on its own, with its own profile.
    private static double expSumF32(MemorySegment x, long off, int n, double m) {
        int bound = FS.loopBound(n);
        FloatVector mv = FloatVector.broadcast(FS, (float) m);
        FloatVector lo = FloatVector.broadcast(FS, VectorMath.EXP_MIN_NORMAL_ARG), zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f), log2e = FloatVector.broadcast(FS, VectorMath.LOG2E);
        FloatVector shifter = FloatVector.broadcast(FS, VectorMath.SHIFTER);
        FloatVector ln2hi = FloatVector.broadcast(FS, VectorMath.MINUS_LN2_HI), ln2lo = FloatVector.broadcast(FS, VectorMath.MINUS_LN2_LO);
        FloatVector p0 = FloatVector.broadcast(FS, VectorMath.P0), p1 = FloatVector.broadcast(FS, VectorMath.P1);
        FloatVector p2 = FloatVector.broadcast(FS, VectorMath.P2), p3 = FloatVector.broadcast(FS, VectorMath.P3);
        FloatVector p4 = FloatVector.broadcast(FS, VectorMath.P4), p5 = FloatVector.broadcast(FS, VectorMath.P5);
        IntVector shift = IntVector.broadcast(IS, 23), bias = IntVector.broadcast(IS, VectorMath.SCALE_BIAS_BITS);
        DoubleVector s0 = DoubleVector.zero(DS), s1 = DoubleVector.zero(DS);
        int k0 = 0;
        for (; k0 + 2 * FL <= bound; k0 += 2 * FL) { // two exps added in float: one conversion for both
            long at = (off + k0) * 4;
            FloatVector v0, v1;
            { // exp(FloatVector.fromMemorySegment(FS, x, at, BO).sub(mv)), the exp written out (see above)
                FloatVector xe = FloatVector.fromMemorySegment(FS, x, at, BO).sub(mv);
                VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
                FloatVector xc = xe.blend(lo, tiny);
                FloatVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
                FloatVector k = t.sub(shifter);
                FloatVector r = k.lanewise(VectorOperators.FMA, ln2lo, k.lanewise(VectorOperators.FMA, ln2hi, xc));
                FloatVector p = r.lanewise(VectorOperators.FMA, p0, p1).lanewise(VectorOperators.FMA, r, p2)
                        .lanewise(VectorOperators.FMA, r, p3).lanewise(VectorOperators.FMA, r, p4)
                        .lanewise(VectorOperators.FMA, r, p5).lanewise(VectorOperators.FMA, r, one)
                        .lanewise(VectorOperators.FMA, r, one);
                FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                        .sub(bias).reinterpretAsFloats();
                v0 = p.mul(scale).blend(zero, tiny);
            }
            { // exp(FloatVector.fromMemorySegment(FS, x, at + 4L * FL, BO).sub(mv)), the exp written out (see above)
                FloatVector xe = FloatVector.fromMemorySegment(FS, x, at + 4L * FL, BO).sub(mv);
                VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
                FloatVector xc = xe.blend(lo, tiny);
                FloatVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
                FloatVector k = t.sub(shifter);
                FloatVector r = k.lanewise(VectorOperators.FMA, ln2lo, k.lanewise(VectorOperators.FMA, ln2hi, xc));
                FloatVector p = r.lanewise(VectorOperators.FMA, p0, p1).lanewise(VectorOperators.FMA, r, p2)
                        .lanewise(VectorOperators.FMA, r, p3).lanewise(VectorOperators.FMA, r, p4)
                        .lanewise(VectorOperators.FMA, r, p5).lanewise(VectorOperators.FMA, r, one)
                        .lanewise(VectorOperators.FMA, r, one);
                FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                        .sub(bias).reinterpretAsFloats();
                v1 = p.mul(scale).blend(zero, tiny);
            }
            FloatVector v = v0.add(v1);
            s0 = s0.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            s1 = s1.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1));
        }
        double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        if (k0 < n) s += expTailF32(x, off, k0, n, m, null, 0);
        return s;
    }

    private static double expSumStoreF32(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff) {
        int bound = FS.loopBound(n);
        FloatVector mv = FloatVector.broadcast(FS, (float) m);
        FloatVector lo = FloatVector.broadcast(FS, VectorMath.EXP_MIN_NORMAL_ARG), zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f), log2e = FloatVector.broadcast(FS, VectorMath.LOG2E);
        FloatVector shifter = FloatVector.broadcast(FS, VectorMath.SHIFTER);
        FloatVector ln2hi = FloatVector.broadcast(FS, VectorMath.MINUS_LN2_HI), ln2lo = FloatVector.broadcast(FS, VectorMath.MINUS_LN2_LO);
        FloatVector p0 = FloatVector.broadcast(FS, VectorMath.P0), p1 = FloatVector.broadcast(FS, VectorMath.P1);
        FloatVector p2 = FloatVector.broadcast(FS, VectorMath.P2), p3 = FloatVector.broadcast(FS, VectorMath.P3);
        FloatVector p4 = FloatVector.broadcast(FS, VectorMath.P4), p5 = FloatVector.broadcast(FS, VectorMath.P5);
        IntVector shift = IntVector.broadcast(IS, 23), bias = IntVector.broadcast(IS, VectorMath.SCALE_BIAS_BITS);
        DoubleVector s0 = DoubleVector.zero(DS), s1 = DoubleVector.zero(DS);
        int k0 = 0;
        for (; k0 + 2 * FL <= bound; k0 += 2 * FL) { // two exps added in float: one conversion for both
            long at = (off + k0) * 4;
            FloatVector v0, v1;
            { // exp(FloatVector.fromMemorySegment(FS, x, at, BO).sub(mv)), the exp written out (see above)
                FloatVector xe = FloatVector.fromMemorySegment(FS, x, at, BO).sub(mv);
                VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
                FloatVector xc = xe.blend(lo, tiny);
                FloatVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
                FloatVector k = t.sub(shifter);
                FloatVector r = k.lanewise(VectorOperators.FMA, ln2lo, k.lanewise(VectorOperators.FMA, ln2hi, xc));
                FloatVector p = r.lanewise(VectorOperators.FMA, p0, p1).lanewise(VectorOperators.FMA, r, p2)
                        .lanewise(VectorOperators.FMA, r, p3).lanewise(VectorOperators.FMA, r, p4)
                        .lanewise(VectorOperators.FMA, r, p5).lanewise(VectorOperators.FMA, r, one)
                        .lanewise(VectorOperators.FMA, r, one);
                FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                        .sub(bias).reinterpretAsFloats();
                v0 = p.mul(scale).blend(zero, tiny);
            }
            { // exp(FloatVector.fromMemorySegment(FS, x, at + 4L * FL, BO).sub(mv)), the exp written out (see above)
                FloatVector xe = FloatVector.fromMemorySegment(FS, x, at + 4L * FL, BO).sub(mv);
                VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
                FloatVector xc = xe.blend(lo, tiny);
                FloatVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
                FloatVector k = t.sub(shifter);
                FloatVector r = k.lanewise(VectorOperators.FMA, ln2lo, k.lanewise(VectorOperators.FMA, ln2hi, xc));
                FloatVector p = r.lanewise(VectorOperators.FMA, p0, p1).lanewise(VectorOperators.FMA, r, p2)
                        .lanewise(VectorOperators.FMA, r, p3).lanewise(VectorOperators.FMA, r, p4)
                        .lanewise(VectorOperators.FMA, r, p5).lanewise(VectorOperators.FMA, r, one)
                        .lanewise(VectorOperators.FMA, r, one);
                FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                        .sub(bias).reinterpretAsFloats();
                v1 = p.mul(scale).blend(zero, tiny);
            }
            long et = (eoff + k0) * 4;
            v0.intoMemorySegment(e, et, BO);
            v1.intoMemorySegment(e, et + 4L * FL, BO);
            FloatVector v = v0.add(v1);
            s0 = s0.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0));
            s1 = s1.add((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1));
        }
        double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        if (k0 < n) s += expTailF32(x, off, k0, n, m, e, eoff);
        return s;
    }

    /**
     * Elements {@code [k, n)} of a row (fewer than two vectors) in masked vectors: short rows, such as 10 classes, are
     * all tail. The exp is written out as in the loops above, so no vector crosses a call.
     */
    private static double expTailF32(MemorySegment x, long off, int k, int n, double m, MemorySegment e, long eoff) {
        FloatVector mv = FloatVector.broadcast(FS, (float) m);
        FloatVector lo = FloatVector.broadcast(FS, VectorMath.EXP_MIN_NORMAL_ARG), zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        IntVector shift = IntVector.broadcast(IS, 23), bias = IntVector.broadcast(IS, VectorMath.SCALE_BIAS_BITS);
        double s = 0;
        for (; k < n; k += FL) {
            VectorMask<Float> in = FS.indexInRange(k, n);
            FloatVector xe = FloatVector.fromMemorySegment(FS, x, (off + k) * 4, BO, in).sub(mv);
            VectorMask<Float> tiny = xe.compare(VectorOperators.LT, lo);
            FloatVector xc = xe.blend(lo, tiny);
            FloatVector t = xc.lanewise(VectorOperators.FMA, FloatVector.broadcast(FS, VectorMath.LOG2E),
                    FloatVector.broadcast(FS, VectorMath.SHIFTER));
            FloatVector kf = t.sub(FloatVector.broadcast(FS, VectorMath.SHIFTER));
            FloatVector r = kf.lanewise(VectorOperators.FMA, FloatVector.broadcast(FS, VectorMath.MINUS_LN2_LO),
                    kf.lanewise(VectorOperators.FMA, FloatVector.broadcast(FS, VectorMath.MINUS_LN2_HI), xc));
            FloatVector p = r.lanewise(VectorOperators.FMA, FloatVector.broadcast(FS, VectorMath.P0), FloatVector.broadcast(FS, VectorMath.P1))
                    .lanewise(VectorOperators.FMA, r, FloatVector.broadcast(FS, VectorMath.P2))
                    .lanewise(VectorOperators.FMA, r, FloatVector.broadcast(FS, VectorMath.P3))
                    .lanewise(VectorOperators.FMA, r, FloatVector.broadcast(FS, VectorMath.P4))
                    .lanewise(VectorOperators.FMA, r, FloatVector.broadcast(FS, VectorMath.P5))
                    .lanewise(VectorOperators.FMA, r, one).lanewise(VectorOperators.FMA, r, one);
            FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, shift)
                    .sub(bias).reinterpretAsFloats();
            FloatVector v = p.mul(scale).blend(zero, tiny.or(in.not()));
            if (e != null) v.intoMemorySegment(e, (eoff + k) * 4, BO, in);
            s += v.reduceLanes(VectorOperators.ADD, in);
        }
        return s;
    }

    @Override
    public double expSumF64(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff) {
        int bound = DS.loopBound(n);
        DoubleVector mv = DoubleVector.broadcast(DS, m);
        DoubleVector s0 = DoubleVector.zero(DS);
        for (int k = 0; k < bound; k += DL) {
            DoubleVector v = DoubleVector.fromMemorySegment(DS, x, (off + k) * 8, BO).sub(mv).lanewise(VectorOperators.EXP);
            if (e != null) v.intoMemorySegment(e, (eoff + k) * 8, BO);
            s0 = s0.add(v);
        }
        double s = s0.reduceLanes(VectorOperators.ADD);
        if (bound < n) s += SCALAR.expSumF64(x, off + bound, n - bound, m, e, eoff + bound);
        return s;
    }

    @Override
    public void scaleAddF32(MemorySegment e, long off, int n, double f, double a) {
        int bound = FS.loopBound(n);
        FloatVector fv = FloatVector.broadcast(FS, (float) f);
        FloatVector av = FloatVector.broadcast(FS, (float) a);
        for (int k = 0; k < bound; k += FL) {
            long at = (off + k) * 4;
            FloatVector.fromMemorySegment(FS, e, at, BO).lanewise(VectorOperators.FMA, fv, av).intoMemorySegment(e, at, BO);
        }
        if (bound < n) {
            var mask = FS.indexInRange(bound, n);
            long at = (off + bound) * 4;
            FloatVector.fromMemorySegment(FS, e, at, BO, mask).lanewise(VectorOperators.FMA, fv, av)
                    .intoMemorySegment(e, at, BO, mask);
        }
    }

    @Override
    public void scaleAddF64(MemorySegment e, long off, int n, double f, double a) {
        int bound = DS.loopBound(n);
        DoubleVector fv = DoubleVector.broadcast(DS, f);
        DoubleVector av = DoubleVector.broadcast(DS, a);
        for (int k = 0; k < bound; k += DL) {
            long at = (off + k) * 8;
            DoubleVector.fromMemorySegment(DS, e, at, BO).mul(fv).add(av).intoMemorySegment(e, at, BO);
        }
        for (int k = bound; k < n; k++) {
            long at = off + k;
            e.setAtIndex(JAVA_DOUBLE_UNALIGNED, at, e.getAtIndex(JAVA_DOUBLE_UNALIGNED, at) * f + a);
        }
    }

    @Override
    public double shiftedSumF32(MemorySegment x, long off, int n, double m) {
        int bound = FS.loopBound(n);
        DoubleVector mv = DoubleVector.broadcast(DS, m);
        DoubleVector s0 = DoubleVector.zero(DS), s1 = DoubleVector.zero(DS);
        for (int k = 0; k < bound; k += FL) {
            FloatVector v = FloatVector.fromMemorySegment(FS, x, (off + k) * 4, BO);
            s0 = s0.add(((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 0)).sub(mv));
            s1 = s1.add(((DoubleVector) v.convertShape(VectorOperators.F2D, DS, 1)).sub(mv));
        }
        double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        if (bound < n) s += SCALAR.shiftedSumF32(x, off + bound, n - bound, m);
        return s;
    }

    @Override
    public double shiftedSumF64(MemorySegment x, long off, int n, double m) {
        return SCALAR.shiftedSumF64(x, off, n, m);
    }

    @Override
    public String toString() {
        return "vector (" + FS.vectorBitSize() + "-bit)";
    }
}

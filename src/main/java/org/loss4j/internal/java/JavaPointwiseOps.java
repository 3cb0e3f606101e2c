package org.loss4j.internal.java;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.java.vector.PairKernels;
import org.loss4j.internal.java.vector.Vectorization;
import org.loss4j.internal.ops.PointwiseFn;
import org.loss4j.internal.ops.PointwiseOps;
import org.loss4j.internal.workspace.Workspace;

/**
 * One fused pass: loss terms, their sum and the gradients. Same-size operands take a flat loop specialised per
 * dtype with direct memory access; the memory-bound float32 terms (squared, absolute, smooth-L1, Huber error) with a
 * scalar upstream gradient run the {@link PairKernels} (vectorised where {@code jdk.incubator.vector} is present).
 * Large flat calls are split over threads ({@link Parallel}). Broadcast operands walk the output index with
 * per-operand strides (0 along broadcast dimensions), and their gradients are summed over those dimensions.
 */
final class JavaPointwiseOps implements PointwiseOps {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public String servedBy(DType dtype) {
        return dtype == DType.F32 ? "java (" + Vectorization.description() + ")" : "java";
    }

    /** The {@link PairKernels} kind of a term, or -1. */
    private static int pairKind(PointwiseFn fn) {
        return switch (fn.kind()) {
            case SQUARED_ERROR -> PairKernels.SQUARED;
            case ABSOLUTE_ERROR -> PairKernels.ABSOLUTE;
            case SMOOTH_L1 -> PairKernels.SMOOTH_L1;
            case HUBER -> PairKernels.HUBER;
            case LOGITS_BCE -> PairKernels.LOGITS_BCE;
            case KL_DIV -> PairKernels.KL_DIV;
            default -> -1;
        };
    }

    @Override
    public double apply(PointwiseFn fn, Tensor[] operands, long[] outShape, Tensor outNone,
                        Tensor gradOut, double gradScale, Tensor[] grads) {
        int k = fn.arity();
        long n = 1;
        for (long d : outShape) n *= d;
        boolean single = operands[0].dtype() == DType.F32;
        boolean flat = true;
        for (int j = 0; j < k; j++) flat &= operands[j].numel() == n;
        if (flat) {
            int kind = single && k == 2 && outNone == null && gradOut == null ? pairKind(fn) : -1;
            if (kind >= 0) return pair(kind, fn.parameter(), operands, grads, gradScale, n);
            return flat(fn, k, single, operands, outNone, gradOut, gradScale, grads, n);
        }
        return broadcast(fn, k, single, operands, outShape, n, outNone, gradOut, gradScale, grads);
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    private static double pair(int kind, double param, Tensor[] operands, Tensor[] grads, double g, long n) {
        PairKernels kernels = Vectorization.pairKernels();
        MemorySegment a = operands[0].segment();
        MemorySegment b = operands[1].segment();
        MemorySegment ga = grads == null ? null : seg(grads[0]);
        MemorySegment gb = grads == null ? null : seg(grads[1]);
        if (!Parallel.splits(n)) return kernels.run(kind, param, a, b, ga, gb, g, 0, n);
        PairRange r = PAIR.get();
        r.kernels = kernels;
        r.kind = kind;
        r.param = param;
        r.a = a;
        r.b = b;
        r.ga = ga;
        r.gb = gb;
        r.g = g;
        try {
            return Parallel.sum(n, r);
        } finally {
            r.kernels = null;
            r.a = r.b = r.ga = r.gb = null;
        }
    }

    /** A pair kernel over a sub-range: one per thread, reused (a capturing lambda would allocate per call). */
    private static final class PairRange implements Parallel.Range {
        PairKernels kernels;
        int kind;
        double param, g;
        MemorySegment a, b, ga, gb;

        @Override
        public double run(long from, long to) {
            return kernels.run(kind, param, a, b, ga, gb, g, from, to);
        }
    }

    private static final ThreadLocal<PairRange> PAIR = ThreadLocal.withInitial(PairRange::new);

    /** A flat element-wise term over a sub-range: one per thread, reused. */
    private static final class FlatRange implements Parallel.Range {
        PointwiseFn fn;
        boolean single, wantGrad;
        MemorySegment a, b, c, e, out, go, g0, g1, g2, g3;
        double gradScale;

        @Override
        public double run(long from, long to) {
            return single ? flatF32(fn, a, b, c, e, out, go, gradScale, wantGrad, g0, g1, g2, g3, from, to)
                    : flatF64(fn, a, b, c, e, out, go, gradScale, wantGrad, g0, g1, g2, g3, from, to);
        }
    }

    private static final ThreadLocal<FlatRange> FLAT = ThreadLocal.withInitial(FlatRange::new);

    private static double flat(PointwiseFn fn, int k, boolean single, Tensor[] operands, Tensor outNone, Tensor gradOut,
                               double gradScale, Tensor[] grads, long n) {
        MemorySegment a = operands[0].segment();
        MemorySegment b = k > 1 ? operands[1].segment() : null;
        MemorySegment c = k > 2 ? operands[2].segment() : null;
        MemorySegment e = k > 3 ? operands[3].segment() : null;
        MemorySegment out = seg(outNone);
        MemorySegment go = seg(gradOut);
        MemorySegment g0 = grads == null ? null : seg(grads[0]);
        MemorySegment g1 = grads == null || k < 2 ? null : seg(grads[1]);
        MemorySegment g2 = grads == null || k < 3 ? null : seg(grads[2]);
        MemorySegment g3 = grads == null || k < 4 ? null : seg(grads[3]);
        boolean wantGrad = grads != null;
        if (!Parallel.splits(n)) {
            return single ? flatF32(fn, a, b, c, e, out, go, gradScale, wantGrad, g0, g1, g2, g3, 0, n)
                    : flatF64(fn, a, b, c, e, out, go, gradScale, wantGrad, g0, g1, g2, g3, 0, n);
        }
        FlatRange r = FLAT.get();
        r.fn = fn;
        r.single = single;
        r.wantGrad = wantGrad;
        r.a = a;
        r.b = b;
        r.c = c;
        r.e = e;
        r.out = out;
        r.go = go;
        r.g0 = g0;
        r.g1 = g1;
        r.g2 = g2;
        r.g3 = g3;
        r.gradScale = gradScale;
        try {
            return Parallel.sum(n, r);
        } finally {
            r.fn = null;
            r.a = r.b = r.c = r.e = r.out = r.go = r.g0 = r.g1 = r.g2 = r.g3 = null;
        }
    }

    private static double flatF32(PointwiseFn fn, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment e,
                                  MemorySegment out, MemorySegment go, double gradScale, boolean wantGrad,
                                  MemorySegment g0, MemorySegment g1, MemorySegment g2, MemorySegment g3,
                                  long from, long to) {
        double[] d = wantGrad ? Workspace.current().scratch4() : null;
        double sum = 0;
        for (long i = from; i < to; i++) {
            double x = a.getAtIndex(F, i);
            double y = b == null ? 0 : b.getAtIndex(F, i);
            double z = c == null ? 0 : c.getAtIndex(F, i);
            double w = e == null ? 0 : e.getAtIndex(F, i);
            float v = (float) fn.valueF32(x, y, z, w);
            sum += v;
            if (out != null) out.setAtIndex(F, i, v);
            if (wantGrad) {
                double g = go != null ? go.getAtIndex(F, i) : gradScale;
                fn.gradF32(x, y, z, w, g, d);
                if (g0 != null) g0.setAtIndex(F, i, (float) d[0]);
                if (g1 != null) g1.setAtIndex(F, i, (float) d[1]);
                if (g2 != null) g2.setAtIndex(F, i, (float) d[2]);
                if (g3 != null) g3.setAtIndex(F, i, (float) d[3]);
            }
        }
        return sum;
    }

    private static double flatF64(PointwiseFn fn, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment e,
                                  MemorySegment out, MemorySegment go, double gradScale, boolean wantGrad,
                                  MemorySegment g0, MemorySegment g1, MemorySegment g2, MemorySegment g3,
                                  long from, long to) {
        double[] d = wantGrad ? Workspace.current().scratch4() : null;
        double sum = 0;
        for (long i = from; i < to; i++) {
            double x = a.getAtIndex(D, i);
            double y = b == null ? 0 : b.getAtIndex(D, i);
            double z = c == null ? 0 : c.getAtIndex(D, i);
            double w = e == null ? 0 : e.getAtIndex(D, i);
            double v = fn.value(x, y, z, w);
            sum += v;
            if (out != null) out.setAtIndex(D, i, v);
            if (wantGrad) {
                double g = go != null ? go.getAtIndex(D, i) : gradScale;
                fn.grad(x, y, z, w, g, d);
                if (g0 != null) g0.setAtIndex(D, i, d[0]);
                if (g1 != null) g1.setAtIndex(D, i, d[1]);
                if (g2 != null) g2.setAtIndex(D, i, d[2]);
                if (g3 != null) g3.setAtIndex(D, i, d[3]);
            }
        }
        return sum;
    }

    private static double broadcast(PointwiseFn fn, int k, boolean single, Tensor[] operands, long[] outShape, long n,
                                    Tensor outNone, Tensor gradOut, double gradScale, Tensor[] grads) {
        if (grads != null) {
            for (int j = 0; j < k; j++) {
                if (grads[j] != null) grads[j].segment().fill((byte) 0);
            }
        }
        double[] d = Workspace.current().scratch4();
        double sum = 0;
        int rank = outShape.length;
        long[][] strides = new long[k][];
        for (int j = 0; j < k; j++) strides[j] = broadcastStrides(operands[j].shape(), outShape);
        long[] idx = new long[rank];
        long[] off = new long[k];
        for (long i = 0; i < n; i++) {
            double x = operands[0].getDouble(off[0]);
            double y = k > 1 ? operands[1].getDouble(off[1]) : 0;
            double z = k > 2 ? operands[2].getDouble(off[2]) : 0;
            double w = k > 3 ? operands[3].getDouble(off[3]) : 0;
            double v = single ? fn.valueF32(x, y, z, w) : fn.value(x, y, z, w);
            if (single) v = (float) v;
            sum += v;
            if (outNone != null) outNone.setDouble(i, v);
            if (grads != null) {
                double g = gradOut != null ? gradOut.getDouble(i) : gradScale;
                if (single) fn.gradF32(x, y, z, w, g, d);
                else fn.grad(x, y, z, w, g, d);
                for (int j = 0; j < k; j++) {
                    if (grads[j] != null) grads[j].setDouble(off[j], grads[j].getDouble(off[j]) + d[j]);
                }
            }
            // advance the multi-index (row-major) and every operand's offset
            for (int r = rank - 1; r >= 0; r--) {
                idx[r]++;
                for (int j = 0; j < k; j++) off[j] += strides[j][r];
                if (idx[r] < outShape[r]) break;
                for (int j = 0; j < k; j++) off[j] -= strides[j][r] * idx[r];
                idx[r] = 0;
            }
        }
        return sum;
    }

    /** Element strides of {@code shape} seen through {@code out} (right-aligned; 0 where broadcast). */
    static long[] broadcastStrides(long[] shape, long[] out) {
        long[] st = new long[out.length];
        long acc = 1;
        for (int r = out.length - 1, s = shape.length - 1; r >= 0; r--, s--) {
            if (s >= 0 && shape[s] != 1) {
                st[r] = acc;
            }
            if (s >= 0) acc *= shape[s];
        }
        return st;
    }
}

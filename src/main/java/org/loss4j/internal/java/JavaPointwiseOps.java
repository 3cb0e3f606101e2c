package org.loss4j.internal.java;

import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;
import org.loss4j.internal.ops.PointwiseOps;

/**
 * One fused pass: loss terms, their sum and the gradients. Same-shape operands take a flat loop; broadcast
 * operands walk the output index with per-operand strides (0 along broadcast dimensions), and their gradients are
 * summed over those dimensions.
 */
final class JavaPointwiseOps implements PointwiseOps {

    @Override
    public String servedBy() {
        return "java";
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
        if (grads != null) {
            for (int j = 0; j < k; j++) {
                if (grads[j] != null && !flat) grads[j].segment().fill((byte) 0);
            }
        }
        double[] d = new double[4];
        double sum = 0;
        if (flat) {
            Tensor a = operands[0];
            Tensor b = k > 1 ? operands[1] : null;
            Tensor c = k > 2 ? operands[2] : null;
            Tensor e = k > 3 ? operands[3] : null;
            for (long i = 0; i < n; i++) {
                double x = a.getDouble(i);
                double y = b == null ? 0 : b.getDouble(i);
                double z = c == null ? 0 : c.getDouble(i);
                double w = e == null ? 0 : e.getDouble(i);
                double v = single ? fn.valueF32(x, y, z, w) : fn.value(x, y, z, w);
                if (single) v = (float) v;
                sum += v;
                if (outNone != null) outNone.setDouble(i, v);
                if (grads != null) {
                    double g = gradOut != null ? gradOut.getDouble(i) : gradScale;
                    if (single) fn.gradF32(x, y, z, w, g, d);
                    else fn.grad(x, y, z, w, g, d);
                    for (int j = 0; j < k; j++) {
                        if (grads[j] != null) grads[j].setDouble(i, d[j]);
                    }
                }
            }
            return sum;
        }
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

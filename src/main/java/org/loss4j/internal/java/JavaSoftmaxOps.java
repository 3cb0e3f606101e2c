package org.loss4j.internal.java;

import org.loss4j.Tensor;
import org.loss4j.internal.ops.SoftmaxOps;

/** Pure-Java softmax kernels: max-shifted, sums in double. */
final class JavaSoftmaxOps implements SoftmaxOps {

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public void logSoftmax(Tensor x, long outer, long n, long inner, Tensor out) {
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * n * inner + i;
                double lse = logSumExp(x, base, n, inner);
                for (long k = 0; k < n; k++) {
                    long at = base + k * inner;
                    out.setDouble(at, x.getDouble(at) - lse);
                }
            }
        }
    }

    @Override
    public void softmax(Tensor x, long outer, long n, long inner, Tensor out) {
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * n * inner + i;
                double lse = logSumExp(x, base, n, inner);
                for (long k = 0; k < n; k++) {
                    long at = base + k * inner;
                    out.setDouble(at, Math.exp(x.getDouble(at) - lse));
                }
            }
        }
    }

    @Override
    public void logSoftmaxBackward(Tensor gradOut, Tensor y, long outer, long n, long inner, Tensor gradIn) {
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * n * inner + i;
                double s = 0;
                for (long k = 0; k < n; k++) s += gradOut.getDouble(base + k * inner);
                for (long k = 0; k < n; k++) {
                    long at = base + k * inner;
                    gradIn.setDouble(at, gradOut.getDouble(at) - Math.exp(y.getDouble(at)) * s);
                }
            }
        }
    }

    /** log(sum_k exp(x[base + k*stride])), shifted by the max; -inf for n == 0 or all -inf, +inf/nan propagate. */
    static double logSumExp(Tensor x, long base, long n, long stride) {
        double m = Double.NEGATIVE_INFINITY;
        for (long k = 0; k < n; k++) {
            double v = x.getDouble(base + k * stride);
            if (v > m || Double.isNaN(v)) m = v;
        }
        if (Double.isNaN(m)) return m;
        if (Double.isInfinite(m)) return m;
        double s = 0;
        for (long k = 0; k < n; k++) s += Math.exp(x.getDouble(base + k * stride) - m);
        return m + Math.log(s);
    }
}

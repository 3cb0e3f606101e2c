package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.SoftmaxOps;

/** Pure-Java softmax kernels: max-shifted, sums in double. */
final class JavaSoftmaxOps implements SoftmaxOps {

    private final RowKernels rows = RowKernels.get();

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public void crossEntropyClassTarget(Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                        long outer, long n, long inner, Tensor lossOut, double[] sums,
                                        Tensor gradInput, Tensor gradOut, double gradScale, boolean divideByWeightSum) {
        DType dt = input.dtype();
        if (inner != 1 || n > Integer.MAX_VALUE || (dt != DType.F32 && dt != DType.F64)) {
            SoftmaxOps.super.crossEntropyClassTarget(input, target, weight, ignoreIndex, smoothing, outer, n, inner,
                    lossOut, sums, gradInput, gradOut, gradScale, divideByWeightSum);
            return;
        }
        FusedCrossEntropy.run(rows, input, target, weight,
                ignoreIndex, smoothing, outer, (int) n, lossOut, sums, gradInput, gradOut, gradScale, divideByWeightSum);
    }

    /** Rows of contiguous F32 or F64 of one dtype: the direct-memory paths. */
    private static boolean rowsOf(Tensor a, Tensor b, long n, long inner) {
        DType dt = a.dtype();
        return inner == 1 && n <= Integer.MAX_VALUE && (dt == DType.F32 || dt == DType.F64) && b.dtype() == dt;
    }

    @Override
    public void logSoftmax(Tensor x, long outer, long n, long inner, Tensor out) {
        if (rowsOf(x, out, n, inner) && n > 0) {
            boolean f32 = x.dtype() == DType.F32;
            MemorySegment xs = x.segment(), os = out.segment();
            int len = (int) n;
            for (long o = 0; o < outer; o++) {
                long base = o * n;
                double m = f32 ? rows.maxF32(xs, base, len) : rows.maxF64(xs, base, len);
                double lse = m;
                if (m > Double.NEGATIVE_INFINITY && m < Double.POSITIVE_INFINITY) {
                    lse = m + Math.log(f32 ? rows.expSumF32(xs, base, len, m, null, 0) : rows.expSumF64(xs, base, len, m, null, 0));
                }
                if (f32) {
                    for (long k = base; k < base + n; k++) {
                        os.setAtIndex(JAVA_FLOAT_UNALIGNED, k, (float) (xs.getAtIndex(JAVA_FLOAT_UNALIGNED, k) - lse));
                    }
                } else {
                    for (long k = base; k < base + n; k++) {
                        os.setAtIndex(JAVA_DOUBLE_UNALIGNED, k, xs.getAtIndex(JAVA_DOUBLE_UNALIGNED, k) - lse);
                    }
                }
            }
            return;
        }
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
        if (rowsOf(gradOut, y, n, inner) && gradIn.dtype() == y.dtype()) {
            boolean f32 = y.dtype() == DType.F32;
            MemorySegment gs = gradOut.segment(), ys = y.segment(), is = gradIn.segment();
            for (long o = 0; o < outer; o++) {
                long base = o * n, end = base + n;
                double s = 0;
                if (f32) {
                    for (long k = base; k < end; k++) s += gs.getAtIndex(JAVA_FLOAT_UNALIGNED, k);
                    for (long k = base; k < end; k++) {
                        double v = gs.getAtIndex(JAVA_FLOAT_UNALIGNED, k) - Math.exp(ys.getAtIndex(JAVA_FLOAT_UNALIGNED, k)) * s;
                        is.setAtIndex(JAVA_FLOAT_UNALIGNED, k, (float) v);
                    }
                } else {
                    for (long k = base; k < end; k++) s += gs.getAtIndex(JAVA_DOUBLE_UNALIGNED, k);
                    for (long k = base; k < end; k++) {
                        double v = gs.getAtIndex(JAVA_DOUBLE_UNALIGNED, k) - Math.exp(ys.getAtIndex(JAVA_DOUBLE_UNALIGNED, k)) * s;
                        is.setAtIndex(JAVA_DOUBLE_UNALIGNED, k, v);
                    }
                }
            }
            return;
        }
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

    @Override
    public void classTargetForward(Tensor logp, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                   long outer, long n, long inner, Tensor lossOut, double[] sums) {
        boolean single = logp.dtype() == DType.F32;
        boolean smooth = smoothing > 0;
        double keep = 1 - smoothing;
        double share = smoothing / n;
        double nllSum = 0, smoothSum = 0, weightSum = 0;
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long p = o * inner + i;
                long t = target.getLong(p);
                if (t == ignoreIndex) {
                    if (lossOut != null) lossOut.setDouble(p, 0);
                    continue;
                }
                long base = o * n * inner + i;
                double wt = weight == null ? 1 : weight.getDouble(t);
                double nll = -wt * logp.getDouble(base + t * inner);
                if (single) nll = (float) nll; // PyTorch's float product
                nllSum += nll;
                weightSum += wt;
                double v = nll;
                if (smooth) {
                    double s = 0;
                    for (long c = 0; c < n; c++) {
                        double wc = weight == null ? 1 : weight.getDouble(c);
                        s -= wc * logp.getDouble(base + c * inner);
                    }
                    smoothSum += s;
                    v = keep * nll + share * s;
                }
                if (lossOut != null) lossOut.setDouble(p, v);
            }
        }
        sums[NLL_SUM] = nllSum;
        sums[SMOOTH_SUM] = smoothSum;
        sums[WEIGHT_SUM] = weightSum;
    }

    @Override
    public void classTargetBackward(Tensor target, Tensor weight, long ignoreIndex, double smoothing, Tensor gradOut,
                                    double gradScale, long outer, long n, long inner, Tensor gradLogp) {
        boolean smooth = smoothing > 0;
        double keep = 1 - smoothing;
        double share = smoothing / n;
        if (!smooth) {
            // one zero fill of the whole gradient, then the target entries
            // a tensor's segment is exactly its bytes: no slice (an object per call, which only escape analysis
            // removed; the allocation-jit-stress tests measured 40 B per call without it)
            gradLogp.segment().fill((byte) 0);
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) {
                    long p = o * inner + i;
                    long t = target.getLong(p);
                    if (t == ignoreIndex) continue;
                    double s = gradOut == null ? gradScale : gradScale * gradOut.getDouble(p);
                    double wt = weight == null ? 1 : weight.getDouble(t);
                    // PyTorch: weight[t] * -(g / total_weight); 0 * inf gives nan as there
                    gradLogp.setDouble(o * n * inner + i + t * inner, wt * -s);
                }
            }
            return;
        }
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long p = o * inner + i;
                long base = o * n * inner + i;
                long t = target.getLong(p);
                if (t == ignoreIndex) {
                    for (long c = 0; c < n; c++) gradLogp.setDouble(base + c * inner, 0);
                    continue;
                }
                double s = gradOut == null ? gradScale : gradScale * gradOut.getDouble(p);
                double wt = weight == null ? 1 : weight.getDouble(t);
                if (smooth) {
                    // -s * eps/n * w_c for every class, plus -s * (1 - eps) * w_t at the target
                    double a = -s * share;
                    for (long c = 0; c < n; c++) {
                        double wc = weight == null ? 1 : weight.getDouble(c);
                        double g = a * wc;
                        if (c == t) g += -s * keep * wt;
                        gradLogp.setDouble(base + c * inner, g);
                    }
                } else {
                    for (long c = 0; c < n; c++) gradLogp.setDouble(base + c * inner, 0);
                    // PyTorch: weight[t] * -(g / total_weight); 0 * inf gives nan as there
                    gradLogp.setDouble(base + t * inner, wt * -s);
                }
            }
        }
    }

    @Override
    public double probTargetForward(Tensor logp, Tensor target, Tensor weight, double smoothing, long outer, long n,
                                    long inner, Tensor lossOut) {
        boolean smooth = smoothing > 0;
        double keep = 1 - smoothing;
        double share = smoothing / n;
        double sum = 0;
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * n * inner + i;
                double s = 0;
                for (long c = 0; c < n; c++) {
                    long at = base + c * inner;
                    double y = target.getDouble(at);
                    if (smooth) y = y * keep + share;
                    double term = logp.getDouble(at) * y;
                    if (weight != null) term *= weight.getDouble(c);
                    s -= term;
                }
                sum += s;
                if (lossOut != null) lossOut.setDouble(o * inner + i, s);
            }
        }
        return sum;
    }

    @Override
    public void probTargetBackward(Tensor logp, Tensor target, Tensor weight, double smoothing, Tensor gradOut,
                                   double gradScale, long outer, long n, long inner, Tensor gradLogp, Tensor gradTarget) {
        boolean smooth = smoothing > 0;
        double keep = 1 - smoothing;
        double share = smoothing / n;
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long p = o * inner + i;
                long base = o * n * inner + i;
                double s = gradOut == null ? gradScale : gradScale * gradOut.getDouble(p);
                for (long c = 0; c < n; c++) {
                    long at = base + c * inner;
                    double sw = weight == null ? -s : -s * weight.getDouble(c);
                    if (gradLogp != null) {
                        double y = target.getDouble(at);
                        if (smooth) y = y * keep + share;
                        gradLogp.setDouble(at, sw * y);
                    }
                    if (gradTarget != null) {
                        double g = sw * logp.getDouble(at);
                        gradTarget.setDouble(at, smooth ? g * keep : g);
                    }
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

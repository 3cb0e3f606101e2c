package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * Cross-entropy with class-index targets over rows of contiguous logits ({@code inner == 1}), fused: per row one
 * max pass, one exp-sum pass (which, with a gradient, stores {@code exp(x - max)} in the gradient row) and one
 * scaling pass over the gradient row; no log-softmax tensor. Same results as log-softmax followed by
 * {@link SoftmaxOps#classTargetForward} (and the backward pair) up to rounding: log-probabilities are not rounded
 * to float32 except the picked one, as PyTorch's float32 {@code -w * logp[t]}.
 *
 * <p>Rows are grouped in chunks of a fixed size (independent of the thread count); each chunk's sums are
 * accumulated in double and the chunks are added in order, so results do not depend on the threads. Large calls
 * run the chunks in parallel.
 */
final class FusedCrossEntropy implements Parallel.Tasks {

    /** Elements per chunk (rows are never split). */
    private static final long CHUNK_ELEMENTS = 1 << 15;

    /** Below this many logits the call stays on the caller's thread. */
    static final long PARALLEL_MIN = Long.getLong("loss4j.softmax.parallelMin", 1L << 17);

    private static final int THREADS = Math.max(1, Integer.getInteger("loss4j.threads",
            Runtime.getRuntime().availableProcessors()));

    /** One per thread, reused call after call (no allocation per call); its tensors are dropped after each. */
    private static final ThreadLocal<FusedCrossEntropy> CURRENT = ThreadLocal.withInitial(FusedCrossEntropy::new);

    private RowKernels rk;
    private Tensor input, target, weight, lossOut, gradInput, gradOut;
    private long ignoreIndex;
    private double keep, share;
    private boolean smooth, f32;
    private int n;
    private double weightTotal; // sum_c w_c (smoothing only)
    private MemorySegment x, g;
    private double scale;

    private FusedCrossEntropy() {}

    private void init(RowKernels rk, Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                      int n, Tensor lossOut, Tensor gradInput, Tensor gradOut) {
        this.rk = rk;
        this.input = input;
        this.target = target;
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.smooth = smoothing > 0;
        this.keep = 1 - smoothing;
        this.share = smoothing / n;
        this.n = n;
        this.lossOut = lossOut;
        this.gradInput = gradInput;
        this.gradOut = gradOut;
        this.f32 = input.dtype() == DType.F32;
        this.x = input.segment();
        this.g = gradInput == null ? null : gradInput.segment();
        double wt = n;
        if (weight != null && smooth) {
            wt = 0;
            for (int c = 0; c < n; c++) wt += weight.getDouble(c);
        }
        this.weightTotal = wt;
    }

    private void clear() {
        input = target = weight = lossOut = gradInput = gradOut = null;
        x = g = null;
        rk = null;
    }

    /** See {@link SoftmaxOps#crossEntropyClassTarget}; {@code inner == 1} and {@code n <= Integer.MAX_VALUE}. */
    static void run(RowKernels rk, Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                    long rows, int n, Tensor lossOut, double[] sums, Tensor gradInput, Tensor gradOut, double gradScale,
                    boolean divideByWeightSum) {
        FusedCrossEntropy k = CURRENT.get();
        k.init(rk, input, target, weight, ignoreIndex, smoothing, n, lossOut, gradInput, gradOut);
        try {
            k.run(rows, sums, gradScale, divideByWeightSum);
        } finally {
            k.clear();
        }
    }

    private void run(long rows, double[] sums, double gradScale, boolean divideByWeightSum) {
        FusedCrossEntropy k = this;
        double scale = gradScale;
        if (gradInput != null && divideByWeightSum) {
            double w = 0;
            for (long p = 0; p < rows; p++) {
                long t = target.getLong(p);
                if (t != ignoreIndex) w += weight == null ? 1 : weight.getDouble(t);
            }
            scale = gradScale / w;
        }
        k.scale = scale;
        long perChunk = Math.max(1, CHUNK_ELEMENTS / Math.max(1, n));
        int chunks = Math.toIntExact((rows + perChunk - 1) / perChunk);
        if (chunks <= 1) { // the common small call: no partial sums to combine
            sums[SoftmaxOps.NLL_SUM] = sums[SoftmaxOps.SMOOTH_SUM] = sums[SoftmaxOps.WEIGHT_SUM] = 0;
            if (chunks == 1) k.chunk(0, rows, sums, 0);
            return;
        }
        if (part.length < 3 * chunks) part = new double[3 * chunks]; // kept for the next call
        double[] part = this.part;
        k.rows = rows;
        k.perChunk = perChunk;
        Parallel.forEach(chunks, THREADS > 1 && rows * n >= PARALLEL_MIN, k);
        double nll = 0, sm = 0, w = 0;
        for (int i = 0; i < chunks; i++) {
            nll += part[3 * i + SoftmaxOps.NLL_SUM];
            sm += part[3 * i + SoftmaxOps.SMOOTH_SUM];
            w += part[3 * i + SoftmaxOps.WEIGHT_SUM];
        }
        sums[SoftmaxOps.NLL_SUM] = nll;
        sums[SoftmaxOps.SMOOTH_SUM] = sm;
        sums[SoftmaxOps.WEIGHT_SUM] = w;
    }

    /** Chunk {@code i} of the current call (a {@link Parallel.Tasks}: the chunks run on the pool's threads). */
    @Override
    public void run(int i) {
        chunk(i * perChunk, Math.min(rows, (i + 1) * perChunk), part, 3 * i);
    }

    private long rows, perChunk;
    /** Partial sums per chunk, reused call after call. */
    private double[] part = new double[48];

    private void chunk(long from, long to, double[] part, int slot) {
        double nllSum = 0, smoothSum = 0, weightSum = 0;
        long es = f32 ? 4 : 8;
        for (long p = from; p < to; p++) {
            long t = target.getLong(p);
            long base = p * n;
            if (t == ignoreIndex) {
                if (lossOut != null) lossOut.setDouble(p, 0);
                if (g != null) g.asSlice(base * es, n * es).fill((byte) 0);
                continue;
            }
            double wt = weight == null ? 1 : weight.getDouble(t);
            double m = f32 ? rk.maxF32(x, base, n) : rk.maxF64(x, base, n);
            if (!(m > Double.NEGATIVE_INFINITY && m < Double.POSITIVE_INFINITY)) {
                double[] r = special(p, base, t, wt, m, new double[2]); // rare (NaN or infinite logits): may allocate
                nllSum += r[0];
                smoothSum += r[1];
                weightSum += wt;
                continue;
            }
            double s = f32 ? rk.expSumF32(x, base, n, m, g, base) : rk.expSumF64(x, base, n, m, g, base);
            double logS = Math.log(s);
            double lse = m + logS;
            double xt = f32 ? x.getAtIndex(JAVA_FLOAT_UNALIGNED, base + t) : x.getAtIndex(JAVA_DOUBLE_UNALIGNED, base + t);
            double logpt = xt - lse;
            if (f32) logpt = (float) logpt;
            double nll = -wt * logpt;
            if (f32) nll = (float) nll; // PyTorch's float product
            nllSum += nll;
            weightSum += wt;
            double v = nll;
            if (smooth) {
                // -sum_c w_c (x_c - lse) = -sum_c w_c (x_c - m) + W ln s: terms of one sign each, no cancellation
                double sh;
                if (weight == null) {
                    sh = f32 ? rk.shiftedSumF32(x, base, n, m) : rk.shiftedSumF64(x, base, n, m);
                } else {
                    sh = 0;
                    for (int c = 0; c < n; c++) sh += weight.getDouble(c) * (input.getDouble(base + c) - m);
                }
                double sm = -sh + weightTotal * logS;
                smoothSum += sm;
                v = keep * nll + share * sm;
            }
            if (lossOut != null) lossOut.setDouble(p, v);
            if (g != null) {
                double sc = gradOut == null ? scale : scale * gradOut.getDouble(p);
                // d/dx_c = gl_c - softmax_c * sum_k gl_k, gl = d loss / d logp (classTargetBackward's)
                double pt = Math.exp(xt - lse);
                if (!smooth) {
                    double gt = wt * -sc; // PyTorch's order: 0 * inf gives nan as there
                    scaleAdd(base, -gt / s, 0);
                    set(base + t, gt - pt * gt);
                } else {
                    double a = -sc * share;
                    double tgt = -sc * keep * wt;
                    double sumGl = a * weightTotal + tgt;
                    if (weight == null) {
                        scaleAdd(base, -sumGl / s, a);
                        set(base + t, a + tgt - pt * sumGl);
                    } else {
                        double f = -sumGl / s;
                        for (int c = 0; c < n; c++) {
                            long at = base + c;
                            set(at, a * weight.getDouble(c) + gradInput.getDouble(at) * f);
                        }
                        set(base + t, a * wt + tgt - pt * sumGl);
                    }
                }
            }
        }
        part[slot + SoftmaxOps.NLL_SUM] = nllSum;
        part[slot + SoftmaxOps.SMOOTH_SUM] = smoothSum;
        part[slot + SoftmaxOps.WEIGHT_SUM] = weightSum;
    }

    private void scaleAdd(long base, double f, double a) {
        if (f32) rk.scaleAddF32(g, base, n, f, a);
        else rk.scaleAddF64(g, base, n, f, a);
    }

    private void set(long at, double v) {
        if (f32) g.setAtIndex(JAVA_FLOAT_UNALIGNED, at, (float) v);
        else g.setAtIndex(JAVA_DOUBLE_UNALIGNED, at, v);
    }

    /**
     * A row whose max is NaN or infinite: computed exactly as log-softmax (lse = max) and the class kernels do.
     * Returns {nll, smooth}.
     */
    private double[] special(long p, long base, long t, double wt, double lse, double[] r) {
        double nll = -wt * round(input.getDouble(base + t) - lse);
        if (f32) nll = (float) nll;
        double v = nll, sm = 0;
        if (smooth) {
            for (int c = 0; c < n; c++) {
                double wc = weight == null ? 1 : weight.getDouble(c);
                sm -= wc * round(input.getDouble(base + c) - lse);
            }
            v = keep * nll + share * sm;
        }
        if (lossOut != null) lossOut.setDouble(p, v);
        if (g != null) {
            double sc = gradOut == null ? scale : scale * gradOut.getDouble(p);
            double sumGl = 0;
            for (int c = 0; c < n; c++) {
                double gl;
                if (smooth) {
                    double wc = weight == null ? 1 : weight.getDouble(c);
                    gl = -sc * share * wc;
                    if (c == t) gl += -sc * keep * wt;
                } else {
                    gl = c == t ? wt * -sc : 0;
                }
                gl = round(gl);
                gradInput.setDouble(base + c, gl);
                sumGl += gl;
            }
            for (int c = 0; c < n; c++) {
                long at = base + c;
                double logp = round(input.getDouble(at) - lse);
                gradInput.setDouble(at, gradInput.getDouble(at) - Math.exp(logp) * sumGl);
            }
        }
        r[0] = nll;
        r[1] = sm;
        return r;
    }

    private double round(double v) {
        return f32 ? (float) v : v;
    }
}

package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.loss4j.DType;
import org.loss4j.Tensor;

/**
 * One batch item of {@link JavaCtcOps}' log-space CTC recursions, vectorised over the extended-label dimension
 * s with {@code jdk.incubator.vector} (double lanes; {@code EXP}/{@code LOG} are SVML-class on x86). Each frame's
 * alpha (and beta) row depends only on the previous frame's, so the log-sum-exp of the (up to) three predecessors
 * runs for a vector of states at a time; the arithmetic is the scalar kernel's, lane by lane: the same max shift,
 * -inf where every term is -inf, IEEE propagation of +inf and NaN. Loaded only when the module is present; scratch
 * arrays are per thread and grow as needed (no allocation per call in steady state).
 */
final class VectorCtcItem {

    private static final VectorSpecies<Double> SP = DoubleVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    private static final double POS_INF = Double.POSITIVE_INFINITY;

    private static final ThreadLocal<VectorCtcItem> SCRATCH = ThreadLocal.withInitial(VectorCtcItem::new);

    static VectorCtcItem current() {
        return SCRATCH.get();
    }

    /** Scratch above this many doubles (8 MB) is not kept for the next call. */
    private static final int RETAIN_MAX = 1 << 20;

    /** Drops scratch arrays too large to keep between calls (a pool thread would hold them indefinitely). */
    void trim() {
        if (alpha.length > RETAIN_MAX || lpl.length > RETAIN_MAX || lp.length > RETAIN_MAX) {
            lp = alpha = lpl = new double[0];
        }
    }

    private double[] lp = new double[0];      // [t * cStride + c], rows padded to whole vectors
    private double[] alpha = new double[0];   // [t * W + 2 + s], two -inf in front of each row
    private double[] beta = new double[0];    // [(t & 1) * W + s], -inf behind each row
    private double[] lpl = new double[0];     // [t * W + s]: lp[t][l'_s]
    private double[] ab = new double[0];      // [s]
    private double[] coll = new double[0];    // [c]
    private double[] yBuf = new double[0];    // [c]
    private double[] occBuf = new double[0];  // [c]
    private int[] lab = new int[0];           // [s]: l'_s
    private boolean[] noSkipA = new boolean[0];
    private boolean[] noSkipB = new boolean[0];
    private int classes, cStride, il, tl, states, w, padded;
    private boolean single;

    private static int roundUp(int v) {
        return (v + L - 1) / L * L;
    }

    /** Copies item {@code b}'s log-probabilities and extended labels into the scratch arrays. */
    void load(Tensor logProbs, int b, int inputLength, Tensor targets, long offset, int targetLength, long blank) {
        long batch = logProbs.size(1);
        classes = Math.toIntExact(logProbs.size(2));
        il = inputLength;
        tl = targetLength;
        states = 2 * tl + 1;
        padded = roundUp(states);
        w = padded + 2;
        single = logProbs.dtype() == DType.F32;
        int cPad = roundUp(classes);
        cStride = cPad;
        if (lp.length < il * cPad) lp = new double[il * cPad];
        if (alpha.length < il * w) alpha = new double[il * w];
        if (lpl.length < il * w) lpl = new double[il * w];
        if (beta.length < 2 * w) beta = new double[2 * w];
        if (ab.length < w) ab = new double[w];
        if (lab.length < w) {
            lab = new int[w];
            noSkipA = new boolean[w];
            noSkipB = new boolean[w];
        }
        if (coll.length < cPad) {
            coll = new double[cPad];
            yBuf = new double[cPad];
            occBuf = new double[cPad];
        }
        MemorySegment seg = logProbs.segment();
        for (int t = 0; t < il; t++) {
            long src = (t * batch + b) * classes;
            int dst = t * cStride;
            if (single) {
                for (int c = 0; c < classes; c++) lp[dst + c] = seg.getAtIndex(JAVA_FLOAT_UNALIGNED, src + c);
            } else {
                for (int c = 0; c < classes; c++) lp[dst + c] = seg.getAtIndex(JAVA_DOUBLE_UNALIGNED, src + c);
            }
        }
        for (int s = 0; s < w; s++) {
            lab[s] = s >= states || (s & 1) == 0 ? (int) blank : (int) targets.getLong(offset + (s >> 1));
        }
        for (int s = 0; s < w; s++) {
            noSkipA[s] = !(s > 1 && s < states && lab[s - 2] != lab[s]);
            noSkipB[s] = !(s < states - 2 && lab[s + 2] != lab[s]);
        }
        for (int t = 0; t < il; t++) {
            int row = t * w, lrow = t * cStride;
            for (int s = 0; s < padded; s++) lpl[row + s] = lp[lrow + lab[s]];
        }
    }

    /**
     * {@code dst[dstOff + s] = ln(e^a1 + e^a2 + e^a3) + add[addOff + s]} for s in [0, n), with
     * {@code a_i = src[o_i + s]} and {@code a3 = -inf} where {@code skip[s]}; lane by lane as the scalar
     * {@code JavaCtcOps.logSumExp}: with m the largest, m + ln(1 + e^(mid - m) + e^(lo - m)); -inf where all three
     * are -inf; NaN where m is +inf (the scalar's e^(inf - inf)) or any term is NaN.
     */
    private static void logSumExp3(double[] src, int o1, int o2, int o3, boolean[] skip, double[] add, int addOff,
                                   double[] dst, int dstOff, int n) {
        // over memory, not vectors: a vector passed to a method C2 did not inline is boxed (KernelShapeTest)
        for (int s = 0; s < n; s += L) {
            DoubleVector a1 = DoubleVector.fromArray(SP, src, o1 + s);
            DoubleVector a2 = DoubleVector.fromArray(SP, src, o2 + s);
            DoubleVector a3 = DoubleVector.fromArray(SP, src, o3 + s).blend(NEG_INF, VectorMask.fromArray(SP, skip, s));
            DoubleVector hi = a1.max(a2);
            DoubleVector lo = a1.min(a2);
            DoubleVector m = hi.max(a3);
            DoubleVector mid = hi.min(a3);
            DoubleVector sum = mid.sub(m).lanewise(VectorOperators.EXP).add(lo.sub(m).lanewise(VectorOperators.EXP)).add(1.0);
            DoubleVector r = m.add(sum.lanewise(VectorOperators.LOG)).add(DoubleVector.fromArray(SP, add, addOff + s));
            r = r.blend(Double.NaN, m.compare(VectorOperators.EQ, POS_INF));
            r.blend(NEG_INF, m.compare(VectorOperators.EQ, NEG_INF)).intoArray(dst, dstOff + s);
        }
    }

    /** Fills ln alpha and returns -ln p(l | x). */
    double forward() {
        if (il == 0) return tl == 0 ? 0.0 : POS_INF;
        Arrays.fill(alpha, 0, w, NEG_INF);
        alpha[2] = lpl[0];
        if (states > 1) alpha[3] = lpl[1];
        for (int t = 1; t < il; t++) {
            int prev = (t - 1) * w, row = t * w, lrow = t * w;
            alpha[row] = NEG_INF;
            alpha[row + 1] = NEG_INF;
            logSumExp3(alpha, prev + 2, prev + 1, prev, noSkipA, lpl, lrow, alpha, row + 2, padded);
            for (int s = states; s < padded; s++) alpha[row + 2 + s] = NEG_INF;
        }
        double last = alpha[(il - 1) * w + 2 + states - 1];
        return -(tl == 0 ? last : JavaCtcOps.logAddExp(last, alpha[(il - 1) * w + 2 + states - 2]));
    }

    /** The beta recursion and PyTorch's gradient, as {@code JavaCtcOps.Item.backward}. */
    void backward(double nll, double g, Tensor grad, int b) {
        long batch = grad.size(1);
        MemorySegment out = grad.segment();
        for (int t = il - 1; t >= 0; t--) {
            int row = (t & 1) * w, next = ((t + 1) & 1) * w, lrow = t * w;
            if (t == il - 1) {
                Arrays.fill(beta, row, row + w, NEG_INF);
                beta[row + states - 1] = lpl[lrow + states - 1];
                if (states > 1) beta[row + states - 2] = lpl[lrow + states - 2];
            } else {
                logSumExp3(beta, next, next + 1, next + 2, noSkipB, lpl, lrow, beta, row, padded);
                for (int s = states; s < w; s++) beta[row + s] = NEG_INF;
            }
            int arow = t * w + 2;
            for (int s = 0; s < padded; s += L) {
                DoubleVector.fromArray(SP, alpha, arow + s).add(DoubleVector.fromArray(SP, beta, row + s)).intoArray(ab, s);
            }
            double m = NEG_INF;
            for (int s = 0; s < states; s++) {
                if (ab[s] > m) m = ab[s];
            }
            Arrays.fill(coll, 0, classes, 0.0);
            if (m > NEG_INF) {
                DoubleVector mv = DoubleVector.broadcast(SP, m);
                for (int s = 0; s < padded; s += L) {
                    DoubleVector.fromArray(SP, ab, s).sub(mv).lanewise(VectorOperators.EXP).intoArray(ab, s);
                }
                for (int s = 0; s < states; s++) coll[lab[s]] += ab[s];
            }
            int lpRow = t * cStride;
            DoubleVector mv = DoubleVector.broadcast(SP, m);
            for (int c = 0; c < classes; c += L) { // padding lanes (lp 0, coll 0) are computed and never stored
                DoubleVector l = DoubleVector.fromArray(SP, lp, lpRow + c);
                l.lanewise(VectorOperators.EXP).intoArray(yBuf, c);
                DoubleVector lcab = DoubleVector.fromArray(SP, coll, c).lanewise(VectorOperators.LOG).add(mv);
                lcab.add(nll).sub(l).lanewise(VectorOperators.EXP).intoArray(occBuf, c);
            }
            long o = ((long) t * batch + b) * classes;
            if (single) {
                for (int c = 0; c < classes; c++) {
                    // PyTorch's float32 exps overflow to inf (e.g. lp > 88.7); mirror that, then subtract
                    double y = (float) yBuf[c], occ = (float) occBuf[c];
                    out.setAtIndex(JAVA_FLOAT_UNALIGNED, o + c, (float) ((y - occ) * g));
                }
            } else {
                for (int c = 0; c < classes; c++) out.setAtIndex(JAVA_DOUBLE_UNALIGNED, o + c, (yBuf[c] - occBuf[c]) * g);
            }
        }
    }
}

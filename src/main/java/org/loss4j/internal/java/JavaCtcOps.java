package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.CtcOps;
import org.loss4j.internal.workspace.Workspace;

/**
 * The CTC forward-backward algorithm in log space, per batch item, accumulated in double.
 *
 * <p>Equation numbers refer to Graves, Fernández, Gomez, Schmidhuber (2006), "Connectionist Temporal
 * Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks" (ICML), section 4, which is
 * 1-based; this code is 0-based. The paper's y^t_k are {@code exp(lp[t][k])}; the extended target l' puts a blank
 * before, between and after the labels: {@code l'_s = blank} for even s, {@code l_(s/2)} for odd s, {@code |l'| =
 * 2 |l| + 1}. As in PyTorch, alpha_t(s) and beta_t(s) both include y^t_{l'_s}, so their product counts it twice
 * (eq. 14).
 *
 * <p>Memory per item: alpha for all frames ({@code input_length x |l'|}, needed by the backward pass), two rows of
 * beta, one row of collected alpha-beta sums, the item's log-probabilities; all from the thread's workspace. Large
 * batches run their items in parallel (one scratch set per thread).
 *
 * <p>When {@code jdk.incubator.vector} is present, {@link VectorCtcItem} runs the same recursions vectorised over
 * the extended-label dimension (per-thread scratch arrays); the scalar {@code Item} below is the fallback and the
 * reference.
 */
final class JavaCtcOps implements CtcOps {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    private static final double POS_INF = Double.POSITIVE_INFINITY;

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public void ctcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank,
                        Tensor nll, Tensor gradScale, boolean zeroInfinity, Tensor grad) {
        int batch = Math.toIntExact(logProbs.size(1));
        boolean padded = targets.dim() == 2;
        Job job = JOBS.get(); // this thread's, reused call after call
        if (job.targetOffset.length < batch) job.targetOffset = new long[batch];
        long[] targetOffset = job.targetOffset;
        long maxInput = 0;
        long maxTarget = 0;
        long cells = 0;
        long pos = 0;
        for (int b = 0; b < batch; b++) {
            long il = inputLengths.getLong(b);
            long tl = targetLengths.getLong(b);
            targetOffset[b] = padded ? b * targets.size(1) : pos;
            pos += tl;
            maxTarget = Math.max(maxTarget, tl);
            maxInput = Math.max(maxInput, il);
            cells += il * (2 * tl + 1);
        }
        if (grad != null) grad.segment().fill((byte) 0); // frames t >= input_length keep 0, as PyTorch
        job.set(logProbs, targets, inputLengths, targetLengths, batch, blank, nll, gradScale, zeroInfinity, grad,
                maxInput, maxTarget);
        int workers = cells < PARALLEL_MIN_CELLS ? 1 : Math.min(batch, THREADS);
        try {
            // items are independent and each is computed the same way on any thread: results do not depend on it
            Parallel.forEach(workers, workers > 1, job);
        } finally {
            job.clear();
        }
    }

    /**
     * Below this many (frame, state) cells in the whole batch (about 2 ms of work), the batch runs on the caller's
     * thread: forking costs tens of microseconds and, on a loaded machine, far more.
     */
    private static final long PARALLEL_MIN_CELLS = Long.getLong("loss4j.ctc.parallelMinCells", 1 << 16);

    /** Whether the vectorised recursions ({@link VectorCtcItem}) can run: jdk.incubator.vector is present. */
    private static final boolean VECTOR = RowKernels.get() != RowKernels.scalar();

    /** Items with fewer extended-label states than this (the widest target decides) run the scalar recursions (1: the vector code handles any width; tests cover every CTC case through it). */
    private static final long VECTOR_MIN_STATES = 1;

    private static final int THREADS = Math.max(1, Integer.getInteger("loss4j.threads",
            Runtime.getRuntime().availableProcessors()));

    private static final ThreadLocal<Job> JOBS = ThreadLocal.withInitial(Job::new);

    /**
     * One call's arguments (one per calling thread, reused); each worker ({@link #run(int)}) takes batch items from a
     * shared counter until none is left.
     */
    private static final class Job implements Parallel.Tasks {
        Tensor logProbs, targets, inputLengths, targetLengths, nll, gradScale, grad;
        long[] targetOffset = new long[0];
        int batch;
        long blank, maxInput, maxTarget;
        boolean zeroInfinity;
        final AtomicInteger next = new AtomicInteger();

        void set(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, int batch, long blank,
                 Tensor nll, Tensor gradScale, boolean zeroInfinity, Tensor grad, long maxInput, long maxTarget) {
            this.logProbs = logProbs;
            this.targets = targets;
            this.inputLengths = inputLengths;
            this.targetLengths = targetLengths;
            this.batch = batch;
            this.blank = blank;
            this.nll = nll;
            this.gradScale = gradScale;
            this.zeroInfinity = zeroInfinity;
            this.grad = grad;
            this.maxInput = maxInput;
            this.maxTarget = maxTarget;
            next.set(0);
        }

        void clear() {
            logProbs = targets = inputLengths = targetLengths = nll = gradScale = grad = null;
        }

        @Override
        public void run(int worker) {
            run(next);
        }

        void run(AtomicInteger next) {
            if (VECTOR && 2 * maxTarget + 1 >= VECTOR_MIN_STATES) {
                VectorCtcItem item = VectorCtcItem.current(); // this thread's scratch
                for (int b = next.getAndIncrement(); b < batch; b = next.getAndIncrement()) {
                    int il = Math.toIntExact(inputLengths.getLong(b));
                    int tl = Math.toIntExact(targetLengths.getLong(b));
                    item.load(logProbs, b, il, targets, targetOffset[b], tl, blank);
                    double nllB = item.forward();
                    nll.setDouble(b, nllB);
                    if (grad != null && !(zeroInfinity && nllB == POS_INF)) {
                        item.backward(nllB, gradScale.getDouble(b), grad, b);
                    }
                }
                item.trim();
                return;
            }
            int classes = Math.toIntExact(logProbs.size(2));
            Workspace ws = Workspace.current(); // this thread's scratch
            long mark = ws.mark();
            try {
                long states = 2 * maxTarget + 1;
                Item item = new Item(classes, blank,
                        ws.uninitialized(DType.F64, Math.max(1, maxInput * classes)).segment(),
                        ws.uninitialized(DType.F64, Math.max(1, maxInput * states)).segment(),
                        ws.uninitialized(DType.F64, 2 * states).segment(),
                        ws.uninitialized(DType.F64, classes).segment(),
                        ws.uninitialized(DType.I64, states).segment());
                for (int b = next.getAndIncrement(); b < batch; b = next.getAndIncrement()) {
                    int il = Math.toIntExact(inputLengths.getLong(b));
                    int tl = Math.toIntExact(targetLengths.getLong(b));
                    item.load(logProbs, b, il, targets, targetOffset[b], tl);
                    double nllB = item.forward();
                    nll.setDouble(b, nllB);
                    if (grad != null && !(zeroInfinity && nllB == POS_INF)) {
                        item.backward(nllB, gradScale.getDouble(b), grad, b);
                    }
                }
            } finally {
                ws.release(mark);
            }
        }
    }

    /**
     * ln(e^a + e^b): the larger term factors out, so nothing overflows and ln 0 = -inf when both are -inf. The
     * remaining ln(1 + e^(small - m)) uses {@code Math.log} (an intrinsic) rather than the far slower
     * {@code Math.log1p}: its absolute error, below 1.2e-16, vanishes when m is added back.
     */
    static double logAddExp(double a, double b) {
        double m = b > a ? b : a;
        if (m == NEG_INF) return NEG_INF;
        if (!(m < POS_INF)) return m + Math.log(Math.exp(a - m) + Math.exp(b - m)); // +inf or NaN: IEEE, as PyTorch
        return m + Math.log(1 + Math.exp((m == a ? b : a) - m));
    }

    /** ln(e^a + e^b + e^c), computed like {@link #logAddExp}. */
    static double logSumExp(double a, double b, double c) {
        double m = a;
        if (b > m) m = b;
        if (c > m) m = c;
        if (m == NEG_INF) return NEG_INF;
        if (!(m < POS_INF)) return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
        double rest;
        if (m == a) rest = Math.exp(b - m) + Math.exp(c - m);
        else if (m == b) rest = Math.exp(a - m) + Math.exp(c - m);
        else rest = Math.exp(a - m) + Math.exp(b - m);
        return m + Math.log(1 + rest);
    }

    /** One batch item's recursions over scratch rows (reused from item to item). */
    private static final class Item {
        final int classes;
        final long blank;
        final MemorySegment lp;     // [t][c]: the item's log-probabilities, t < input_length
        final MemorySegment alpha;  // [t][s]: ln alpha_t(s)
        final MemorySegment beta;   // two rows [t & 1][s]: ln beta_t(s)
        final MemorySegment coll;   // [c]: e^-m sum_{s: l'_s = c} alpha_t(s) beta_t(s), m the frame's largest term
        final MemorySegment label;  // [s]: l'_s
        int inputLength;
        int states;                 // |l'| = 2 |l| + 1
        int targetLength;
        boolean single;

        Item(int classes, long blank, MemorySegment lp, MemorySegment alpha, MemorySegment beta, MemorySegment coll,
             MemorySegment label) {
            this.classes = classes;
            this.blank = blank;
            this.lp = lp;
            this.alpha = alpha;
            this.beta = beta;
            this.coll = coll;
            this.label = label;
        }

        void load(Tensor logProbs, int b, int il, Tensor targets, long offset, int tl) {
            long batch = logProbs.size(1);
            inputLength = il;
            targetLength = tl;
            states = 2 * tl + 1;
            single = logProbs.dtype() == DType.F32;
            for (int t = 0; t < il; t++) {
                long src = (t * batch + b) * classes;
                long dst = (long) t * classes;
                for (int c = 0; c < classes; c++) lp.setAtIndex(JAVA_DOUBLE, dst + c, logProbs.getDouble(src + c));
            }
            // padded (N, S) and concatenated targets are both contiguous along an item's labels
            for (int s = 0; s < states; s++) {
                label.setAtIndex(JAVA_LONG, s, (s & 1) == 0 ? blank : targets.getLong(offset + (s >> 1)));
            }
        }

        private double lp(int t, long c) {
            return lp.getAtIndex(JAVA_DOUBLE, (long) t * classes + c);
        }

        private long label(int s) {
            return label.getAtIndex(JAVA_LONG, s);
        }

        private double alpha(int t, int s) {
            return alpha.getAtIndex(JAVA_DOUBLE, (long) t * states + s);
        }

        /** Fills ln alpha and returns the negative log-likelihood -ln p(l | x). */
        double forward() {
            int il = inputLength;
            int tl = targetLength;
            if (il == 0) {
                // no frames: the empty target has probability 1, any other 0
                return tl == 0 ? 0.0 : POS_INF;
            }
            // initialisation above eq. (6): alpha_1(1) = y^1_b, alpha_1(2) = y^1_{l_1}, alpha_1(s) = 0 for s > 2
            alpha.setAtIndex(JAVA_DOUBLE, 0, lp(0, blank));
            for (int s = 1; s < states; s++) {
                alpha.setAtIndex(JAVA_DOUBLE, s, s == 1 ? lp(0, label(1)) : NEG_INF);
            }
            for (int t = 1; t < il; t++) {
                long row = (long) t * states;
                long prev = row - states;
                for (int s = 0; s < states; s++) {
                    long ls = label(s);
                    // eq. (7): alpha-bar_t(s) = alpha_{t-1}(s) + alpha_{t-1}(s-1)
                    double a1 = alpha.getAtIndex(JAVA_DOUBLE, prev + s);
                    double a2 = s > 0 ? alpha.getAtIndex(JAVA_DOUBLE, prev + s - 1) : NEG_INF;
                    // eq. (6): plus alpha_{t-1}(s-2) unless l'_s is blank or l'_{s-2} = l'_s (a repeated label
                    // needs a blank between its two occurrences; for even s both are blank)
                    double a3 = s > 1 && label(s - 2) != ls ? alpha.getAtIndex(JAVA_DOUBLE, prev + s - 2) : NEG_INF;
                    alpha.setAtIndex(JAVA_DOUBLE, row + s, logSumExp(a1, a2, a3) + lp(t, ls));
                }
            }
            // eq. (8): p(l | x) = alpha_T(|l'|) + alpha_T(|l'| - 1); for an empty target only the single blank state
            double last = alpha(il - 1, states - 1);
            return -(tl == 0 ? last : logAddExp(last, alpha(il - 1, states - 2)));
        }

        /**
         * Runs the beta recursion from the last frame down and, frame by frame, writes PyTorch's gradient
         * {@code g * (y^t_k - exp(ln sum_{s in lab(l,k)} alpha_t(s) beta_t(s) + nll - lp))} (section 4.2, the
         * gradient with respect to the unnormalised outputs u^t_k, with Z_t = p(l | x) by eq. (15)).
         */
        void backward(double nll, double g, Tensor grad, int b) {
            int il = inputLength;
            long batch = grad.size(1);
            for (int t = il - 1; t >= 0; t--) {
                long row = (long) (t & 1) * states;
                long next = (long) ((t + 1) & 1) * states;
                if (t == il - 1) {
                    // initialisation above eq. (10): beta_T(|l'|) = y^T_b, beta_T(|l'|-1) = y^T_{l_|l|}, 0 below
                    for (int s = 0; s < states; s++) {
                        double v = s == states - 1 || s == states - 2 ? lp(t, label(s)) : NEG_INF;
                        beta.setAtIndex(JAVA_DOUBLE, row + s, v);
                    }
                } else {
                    for (int s = 0; s < states; s++) {
                        long ls = label(s);
                        // eq. (11): beta-bar_t(s) = beta_{t+1}(s) + beta_{t+1}(s+1)
                        double b1 = beta.getAtIndex(JAVA_DOUBLE, next + s);
                        double b2 = s < states - 1 ? beta.getAtIndex(JAVA_DOUBLE, next + s + 1) : NEG_INF;
                        // eq. (10): plus beta_{t+1}(s+2) unless l'_s is blank or l'_{s+2} = l'_s
                        double b3 = s < states - 2 && label(s + 2) != ls ? beta.getAtIndex(JAVA_DOUBLE, next + s + 2) : NEG_INF;
                        beta.setAtIndex(JAVA_DOUBLE, row + s, logSumExp(b1, b2, b3) + lp(t, ls));
                    }
                }
                // eq. (14)-(16): collect sum over s in lab(l, k) = {s : l'_s = k} of alpha_t(s) beta_t(s), scaled by
                // e^-m (m the largest term) so that it can be summed in linear space; ln of the sum is taken below
                long arow = (long) t * states;
                double m = NEG_INF;
                for (int s = 0; s < states; s++) {
                    double ab = alpha.getAtIndex(JAVA_DOUBLE, arow + s) + beta.getAtIndex(JAVA_DOUBLE, row + s);
                    if (ab > m) m = ab;
                }
                for (int c = 0; c < classes; c++) coll.setAtIndex(JAVA_DOUBLE, c, 0.0);
                if (m > NEG_INF) {
                    for (int s = 0; s < states; s++) {
                        long k = label(s);
                        double ab = alpha.getAtIndex(JAVA_DOUBLE, arow + s) + beta.getAtIndex(JAVA_DOUBLE, row + s);
                        coll.setAtIndex(JAVA_DOUBLE, k, coll.getAtIndex(JAVA_DOUBLE, k) + Math.exp(ab - m));
                    }
                }
                long out = ((long) t * batch + b) * classes;
                for (int c = 0; c < classes; c++) {
                    double l = lp(t, c);
                    double y = Math.exp(l);
                    // ln of the collected sum: -inf for a class on no path (ln 0), as PyTorch's empty log-sum
                    double lcab = Math.log(coll.getAtIndex(JAVA_DOUBLE, c)) + m;
                    // (lcab + nll) - lp in PyTorch's order: -inf + inf gives NaN exactly where it does (an impossible
                    // item; a class on no path with lp = -inf)
                    double occ = Math.exp(lcab + nll - l);
                    if (single) {
                        // PyTorch's float32 exps overflow to inf (e.g. lp > 88.7); mirror that, then subtract
                        y = (float) y;
                        occ = (float) occ;
                    }
                    grad.setDouble(out + c, (y - occ) * g);
                }
            }
        }
    }
}

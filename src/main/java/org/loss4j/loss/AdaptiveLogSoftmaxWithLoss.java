package org.loss4j.loss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.LinearOps;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.ops.SoftmaxOps;
import org.loss4j.internal.workspace.Workspace;

/**
 * Adaptive softmax (Grave et al., <a href="https://arxiv.org/abs/1609.04309">Efficient softmax approximation for
 * GPUs</a>), PyTorch's {@code nn.AdaptiveLogSoftmaxWithLoss} with its weights passed in by the caller: loss4j holds
 * no parameters, so every weight of the PyTorch module is an argument.
 *
 * <p>The classes, sorted by frequency, are split by the cutoffs: with {@code b = cutoffs + [n_classes]}, the
 * shortlist is {@code [0, b_0)} and cluster i (counted from 0) is {@code [b_i, b_{i+1})}. The head is
 * {@code log_softmax(x W_h^T + b_h)} over the shortlist plus one entry per cluster; cluster i has the two-layer
 * projection {@code log_softmax((x W_{i,0}^T) W_{i,1}^T)} of width {@code hsz_i = in_features // div_value^(i+1)}
 * (Python's float {@code //}, so it may be 0). For sample n with target y_n:
 * <pre>
 *   output_n = head[n, y_n]                                  if y_n &lt; b_0 (the shortlist)
 *   output_n = head[n, b_0 + i] + cluster_i[n, y_n - b_i]     if b_i &lt;= y_n &lt; b_{i+1}
 *   loss     = mean_n(-output_n)
 * </pre>
 * Only the clusters some target falls in are computed, as in PyTorch.
 *
 * <p>Reduction: always the mean (PyTorch has no {@code reduction} option here); any other reduction is rejected.
 * An empty batch gives nan.
 *
 * <p>Options (PyTorch's order): {@code in_features} (required), {@code n_classes} (required), {@code cutoffs}
 * (required: unique increasing integers in {@code [1, n_classes - 1]}), {@code div_value} (default 4.0, &gt; 0),
 * {@code head_bias} (default false).
 *
 * <p>Arguments ({@link #argumentNames()}, which depend on the options): {@code input}, {@code target}, then
 * PyTorch's parameters with dots made underscores: {@code head_weight (shortlist_size + n_clusters, in_features)},
 * {@code head_bias (shortlist_size + n_clusters)} when {@code head_bias}, and per cluster i
 * {@code tail_i_0_weight (hsz_i, in_features)}, {@code tail_i_1_weight (osz_i, hsz_i)} with
 * {@code osz_i = b_{i+1} - b_i}. Weights must have exactly these shapes and input's dtype.
 *
 * <p>Shapes: input {@code (N, in_features)} or {@code (in_features)}; target {@code (N)} or {@code ()}, int64 or
 * int32, each in {@code [0, n_classes)}; loss a scalar; the extra result {@code output}
 * ({@link LossResult#extras()}) {@code (N)} or {@code ()}. Gradients: input and every weight. A cluster no target
 * falls in gets a zero gradient (PyTorch leaves its {@code .grad} unset). {@link #logProb} and {@link #predict}
 * are PyTorch's {@code log_prob} and {@code predict}.
 *
 * <pre>{@code
 * AdaptiveLogSoftmaxWithLoss asm = AdaptiveLogSoftmaxWithLoss.builder()
 *         .inFeatures(64).nClasses(2000).cutoffs(10, 100, 1000).divValue(4.0).build();
 * // asm.argumentNames(): [input, target, head_weight, tail_0_0_weight, tail_0_1_weight, ..., tail_2_1_weight]
 * LossResult r = asm.forwardBackward(input, target, headWeight, t00, t01, t10, t11, t20, t21);
 * r.loss().item();                 // mean negative log-likelihood
 * r.extras().get("output");        // (N) target log-probabilities
 * r.grad("tail_0_0_weight");       // (16, 64)
 * Tensor all = asm.logProb(input, headWeight, t00, t01, t10, t11, t20, t21);   // (N, 2000)
 * }</pre>
 */
public final class AdaptiveLogSoftmaxWithLoss extends Loss {

    private static final int INPUT = 0;
    private static final int TARGET = 1;
    private static final int HEAD_WEIGHT = 2;

    private final long inFeatures;
    private final long nClasses;
    private final long[] cutoffs;
    private final double divValue;
    private final boolean headBias;

    /** {@code cutoffs + [n_classes]}: cluster i holds classes {@code [bounds[i], bounds[i + 1])}. */
    private final long[] bounds;
    private final long shortlistSize;
    private final int nClusters;
    private final long headSize;
    private final long[] hiddenSizes;
    private final long[] clusterSizes;
    /** Argument index of {@code head_bias} (-1 without), and of {@code tail_0_0_weight}. */
    private final int headBiasArg;
    private final int firstTailArg;
    private final List<String> args;
    private final Set<String> diff;

    private AdaptiveLogSoftmaxWithLoss(Builder b) {
        super(b.reduction, b.backend);
        if (b.reduction != Reduction.MEAN) {
            throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss has no reduction option: its loss is always the mean"
                    + " (as PyTorch's), got reduction '" + b.reduction.torchName() + "'");
        }
        if (b.inFeatures < 0) throw new IllegalArgumentException("in_features is required (builder().inFeatures(...))");
        if (b.nClasses < 0) throw new IllegalArgumentException("n_classes is required (builder().nClasses(...))");
        if (b.cutoffs == null) throw new IllegalArgumentException("cutoffs is required (builder().cutoffs(...))");
        this.inFeatures = b.inFeatures;
        this.nClasses = b.nClasses;
        this.cutoffs = b.cutoffs.clone();
        this.divValue = b.divValue;
        this.headBias = b.headBias;
        checkCutoffs(cutoffs, nClasses);

        bounds = Arrays.copyOf(cutoffs, cutoffs.length + 1);
        bounds[cutoffs.length] = nClasses;
        shortlistSize = cutoffs[0];
        nClusters = cutoffs.length;
        headSize = shortlistSize + nClusters;
        hiddenSizes = new long[nClusters];
        clusterSizes = new long[nClusters];
        for (int i = 0; i < nClusters; i++) {
            hiddenSizes[i] = hiddenSize(inFeatures, divValue, i);
            clusterSizes[i] = bounds[i + 1] - bounds[i];
        }

        List<String> a = new ArrayList<>(List.of("input", "target", "head_weight"));
        headBiasArg = headBias ? a.size() : -1;
        if (headBias) a.add("head_bias");
        firstTailArg = a.size();
        for (int i = 0; i < nClusters; i++) {
            a.add("tail_" + i + "_0_weight");
            a.add("tail_" + i + "_1_weight");
        }
        args = List.copyOf(a);
        Set<String> d = new LinkedHashSet<>(a);
        d.remove("target");
        diff = java.util.Collections.unmodifiableSet(d);
    }

    /** PyTorch's rule: a non-empty, strictly increasing sequence with every value in {@code [1, n_classes - 1]}. */
    private static void checkCutoffs(long[] cutoffs, long nClasses) {
        if (cutoffs.length == 0) {
            throw new IllegalArgumentException("cutoffs should be a sequence of length larger than 0, got []");
        }
        for (int i = 0; i < cutoffs.length; i++) {
            if (cutoffs[i] <= 0 || cutoffs[i] > nClasses - 1 || (i > 0 && cutoffs[i] <= cutoffs[i - 1])) {
                throw new IllegalArgumentException("cutoffs should be a sequence of unique, positive integers sorted in an"
                        + " increasing order, where each value is between 1 and n_classes-1 (n_classes = " + nClasses
                        + "), got " + Arrays.toString(cutoffs));
            }
        }
    }

    /** {@code int(in_features // (div_value ** (i + 1)))} with Python's float floor division. */
    private static long hiddenSize(long inFeatures, double divValue, int i) {
        double divisor = Math.pow(divValue, i + 1);
        if (divisor == 0) {
            // PyTorch: ZeroDivisionError (float floor division by zero) once div_value ** (i + 1) underflows
            throw new IllegalArgumentException("div_value " + divValue + " gives cluster " + i + " the divisor div_value^"
                    + (i + 1) + " = 0 (it underflows), so in_features // div_value^" + (i + 1) + " is undefined");
        }
        double h = pythonFloorDivide(inFeatures, divisor);
        if (!(h >= 0) || h >= 0x1p62) {
            throw new IllegalArgumentException("div_value " + divValue + " gives cluster " + i + " a hidden size of "
                    + "in_features // div_value^" + (i + 1) + " = " + h + ", which is not a usable tensor size");
        }
        return (long) h;
    }

    /** CPython's {@code float.__floordiv__} (it differs from {@code floor(a / b)}, e.g. {@code 1 // 0.1 == 9}). */
    static double pythonFloorDivide(double vx, double wx) {
        if (wx == 0) throw new ArithmeticException("float floor division by zero");
        double mod = vx % wx;
        double div = (vx - mod) / wx;
        if (mod != 0) {
            if ((wx < 0) != (mod < 0)) div -= 1.0;
        }
        if (div == 0) return Math.copySign(0.0, vx / wx);
        double floordiv = Math.floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
        return floordiv;
    }

    /** Starts a builder; {@code in_features}, {@code n_classes} and {@code cutoffs} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's {@code AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs)} with the other defaults. */
    public static AdaptiveLogSoftmaxWithLoss create(long inFeatures, long nClasses, long... cutoffs) {
        return builder().inFeatures(inFeatures).nClasses(nClasses).cutoffs(cutoffs).build();
    }

    /**
     * From PyTorch keyword options: {@code in_features}, {@code n_classes}, {@code cutoffs} (a list of integers),
     * {@code div_value}, {@code head_bias}. There is no {@code reduction}.
     */
    public static AdaptiveLogSoftmaxWithLoss fromOptions(LossOptions o) {
        Builder b = builder();
        if (!o.has("in_features")) throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss option 'in_features' is required");
        if (!o.has("n_classes")) throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss option 'n_classes' is required");
        if (!o.has("cutoffs")) throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss option 'cutoffs' is required");
        b.inFeatures(o.getLong("in_features", -1));
        b.nClasses(o.getLong("n_classes", -1));
        b.cutoffs(integerList("cutoffs", o.getObject("cutoffs")));
        b.divValue(o.getDouble("div_value", 4.0));
        b.headBias(o.getBoolean("head_bias", false));
        o.finish();
        return b.build();
    }

    /** A list of integers; like PyTorch, floats (even {@code 2.0}) are refused. */
    private static long[] integerList(String name, Object v) {
        if (v instanceof long[] a) return a.clone();
        if (v instanceof int[] a) return Arrays.stream(a).asLongStream().toArray();
        if (v instanceof List<?> l) {
            long[] out = new long[l.size()];
            for (int i = 0; i < out.length; i++) {
                Object x = l.get(i);
                if (!(x instanceof Long || x instanceof Integer || x instanceof Short || x instanceof Byte)) {
                    throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss option '" + name
                            + "' must be a list of integers, got " + l + " (element " + i + " is " + x + ")");
                }
                out[i] = ((Number) x).longValue();
            }
            return out;
        }
        throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss option '" + name + "' must be a list of integers, got " + v);
    }

    // ------------------------------------------------------------------ properties

    @Override
    public String name() {
        return "AdaptiveLogSoftmaxWithLoss";
    }

    /** {@code [input, target, head_weight, (head_bias,) tail_0_0_weight, tail_0_1_weight, ...]}. */
    @Override
    public List<String> argumentNames() {
        return args;
    }

    @Override
    public Set<String> differentiableArguments() {
        return diff;
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long nClasses() {
        return nClasses;
    }

    /** The cutoffs as given (without {@code n_classes}). */
    public long[] cutoffs() {
        return cutoffs.clone();
    }

    public double divValue() {
        return divValue;
    }

    public boolean headBias() {
        return headBias;
    }

    /** The names and shapes of the weights, in argument order, e.g. {@code head_weight [12, 64]}. */
    public List<String> weightShapes() {
        List<String> out = new ArrayList<>();
        for (int j = HEAD_WEIGHT; j < args.size(); j++) out.add(args.get(j) + " " + Arrays.toString(weightShape(j)));
        return out;
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().inFeatures(inFeatures).nClasses(nClasses).cutoffs(cutoffs).divValue(divValue).headBias(headBias)
                .backend(backend).build();
    }

    @Override
    List<String> opGroups() {
        return List.of("linear", "softmax", "reduce");
    }

    @Override
    public String toString() {
        return "AdaptiveLogSoftmaxWithLoss(in_features=" + inFeatures + ", n_classes=" + nClasses + ", cutoffs="
                + Arrays.toString(cutoffs) + ", div_value=" + divValue + ", head_bias=" + headBias + ")";
    }

    // ------------------------------------------------------------------ validation

    /** The expected shape of the weight at argument index {@code j}. */
    private long[] weightShape(int j) {
        if (j == HEAD_WEIGHT) return new long[] {headSize, inFeatures};
        if (j == headBiasArg) return new long[] {headSize};
        int t = j - firstTailArg;
        int i = t / 2;
        return t % 2 == 0 ? new long[] {hiddenSizes[i], inFeatures} : new long[] {clusterSizes[i], hiddenSizes[i]};
    }

    private String weightShapeWhy(int j) {
        if (j == HEAD_WEIGHT) {
            return "(shortlist_size + n_clusters = " + shortlistSize + " + " + nClusters + ", in_features = " + inFeatures + ")";
        }
        if (j == headBiasArg) return "(shortlist_size + n_clusters = " + shortlistSize + " + " + nClusters + ")";
        int t = j - firstTailArg;
        int i = t / 2;
        String hsz = "in_features // div_value^" + (i + 1) + " = " + hiddenSizes[i];
        return t % 2 == 0 ? "(" + hsz + ", in_features = " + inFeatures + ")"
                : "(classes " + bounds[i] + " to " + (bounds[i + 1] - 1) + " of cluster " + i + " = " + clusterSizes[i] + ", " + hsz + ")";
    }

    /** Checks the weights {@code a[HEAD_WEIGHT..]}: floating, input's dtype, exactly the module's shapes. */
    private void checkWeights(Tensor input, Tensor[] a) {
        for (int j = HEAD_WEIGHT; j < args.size(); j++) {
            String name = args.get(j);
            Tensor w = Check.floating(name, a[j]);
            Check.sameDtype("input", input, name, w);
            long[] want = weightShape(j);
            if (!Arrays.equals(w.shape(), want)) {
                throw new IllegalArgumentException(name + " must have shape " + Arrays.toString(want) + " " + weightShapeWhy(j)
                        + ", got " + Check.shape(w));
            }
        }
    }

    private void checkFeatures(Tensor input) {
        if (input.size(-1) != inFeatures) {
            throw new IllegalArgumentException("input must have in_features = " + inFeatures + " features in its last dimension, got shape "
                    + Check.shape(input));
        }
    }

    // ------------------------------------------------------------------ forward and backward

    @Override
    void compute(Call call) {
        Tensor[] a = call.args;
        Tensor input = Check.present("input", a[INPUT]);
        Tensor target = Check.present("target", a[TARGET]);
        // PyTorch's order of checks: target rank, batch sizes, input rank
        if (target.dim() > 1) {
            throw new IllegalArgumentException("target must be 0D or 1D (multi-target not supported), got shape " + Check.shape(target));
        }
        boolean batched = target.dim() == 1;
        if (batched) {
            if (input.dim() == 0 || input.size(0) != target.size(0)) {
                throw new IllegalArgumentException("input and target should have the same size in the batch dimension, got input "
                        + Check.shape(input) + " and target " + Check.shape(target));
            }
            if (input.dim() != 2) {
                throw new IllegalArgumentException("1D target tensor expects 2D input (N, in_features), got input of shape " + Check.shape(input));
            }
        } else if (input.dim() != 1) {
            throw new IllegalArgumentException("0D target tensor expects 1D input (in_features), got input of shape " + Check.shape(input));
        }
        Check.floating("input", input);
        Check.integral("target", target);
        checkFeatures(input);
        checkWeights(input, a);
        long n = batched ? input.size(0) : 1;
        long[] tgt = new long[Math.toIntExact(n)];
        for (int r = 0; r < tgt.length; r++) {
            tgt[r] = target.getLong(r);
            Check.classIndex("target", tgt[r], r, nClasses);
        }

        DType dt = input.dtype();
        Ops ops = call.ops;
        LinearOps lin = ops.linear();
        SoftmaxOps sm = ops.softmax();
        Workspace ws = call.ws;
        long f = inFeatures;
        Tensor x = batched ? input : input.reshape(1, f);

        // which cluster each row's target falls in (-1: the shortlist), and the head entry it reads
        int[] cluster = new int[tgt.length];
        long[] headIndex = new long[tgt.length];
        int[] counts = new int[nClusters];
        for (int r = 0; r < tgt.length; r++) {
            int c = clusterOf(tgt[r]);
            cluster[r] = c;
            headIndex[r] = c < 0 ? tgt[r] : shortlistSize + c;
            if (c >= 0) counts[c]++;
        }

        // head: log_softmax(x W_h^T + b_h)
        Tensor headLogits = ws.uninitialized(dt, n, headSize);
        lin.linear(x, a[HEAD_WEIGHT], headBias ? a[headBiasArg] : null, n, f, headSize, headLogits);
        Tensor headLp = ws.uninitialized(dt, n, headSize);
        sm.logSoftmax(headLogits, n, headSize, 1, headLp);

        Tensor output = batched ? Tensor.zeros(dt, n) : Tensor.zeros(dt);
        for (int r = 0; r < tgt.length; r++) output.setDouble(r, headLp.getDouble(r * headSize + headIndex[r]));

        // clusters some target falls in: log_softmax((x_R W_0^T) W_1^T), picked at the relative target
        Tensor[] rowsOf = new Tensor[nClusters];
        Tensor[] xr = new Tensor[nClusters];
        Tensor[] hidden = new Tensor[nClusters];
        Tensor[] clusterLp = new Tensor[nClusters];
        for (int c = 0; c < nClusters; c++) {
            if (counts[c] == 0) continue;
            long r = counts[c];
            long hsz = hiddenSizes[c];
            long osz = clusterSizes[c];
            Tensor rows = ws.uninitialized(DType.I64, r);
            for (int row = 0, k = 0; row < tgt.length; row++) if (cluster[row] == c) rows.setDouble(k++, row);
            rowsOf[c] = rows;
            xr[c] = ws.uninitialized(dt, r, f);
            lin.gatherRows(x, rows, r, f, xr[c]);
            hidden[c] = ws.uninitialized(dt, r, hsz);
            lin.linear(xr[c], a[firstTailArg + 2 * c], null, r, f, hsz, hidden[c]);
            Tensor logits = ws.uninitialized(dt, r, osz);
            lin.linear(hidden[c], a[firstTailArg + 2 * c + 1], null, r, hsz, osz, logits);
            clusterLp[c] = ws.uninitialized(dt, r, osz);
            sm.logSoftmax(logits, r, osz, 1, clusterLp[c]);
            for (int k = 0; k < r; k++) {
                long row = rows.getLong(k);
                double local = clusterLp[c].getDouble(k * osz + (tgt[(int) row] - bounds[c]));
                output.setDouble(row, local + output.getDouble(row));
            }
        }

        // loss = (-output).mean(); nan for an empty batch
        double sum = ops.reduce().sum(output);
        call.outputScalar(dt, -sum / n);
        call.extra("output", output);
        if (!call.backward) return;

        // d loss / d output_n = -g / N; each output_n is one log-softmax pick in the head and one in its cluster
        double d = -call.gradOutputScalar() / n;
        boolean wantInput = call.wantsGrad(INPUT);
        Tensor gx = wantInput ? (batched ? call.grad(INPUT) : call.grad(INPUT).reshape(1, f)) : null;
        boolean wantHead = wantInput || call.wantsGrad(HEAD_WEIGHT) || (headBias && call.wantsGrad(headBiasArg));
        if (wantHead) {
            Tensor dHead = ws.zeros(dt, n, headSize);
            for (int r = 0; r < tgt.length; r++) dHead.setDouble(r * headSize + headIndex[r], d);
            sm.logSoftmaxBackward(dHead, headLp, n, headSize, 1, dHead);
            if (call.wantsGrad(HEAD_WEIGHT)) lin.matmulTransposeA(dHead, x, n, headSize, f, call.grad(HEAD_WEIGHT));
            if (headBias && call.wantsGrad(headBiasArg)) ops.reduce().sumDim(dHead, 1, n, headSize, 1.0, call.grad(headBiasArg));
            if (wantInput) lin.matmul(dHead, a[HEAD_WEIGHT], n, headSize, f, gx);
        }
        for (int c = 0; c < nClusters; c++) {
            int w0 = firstTailArg + 2 * c;
            int w1 = w0 + 1;
            if (counts[c] == 0) {
                if (call.wantsGrad(w0)) ops.reduce().fill(call.grad(w0), 0);
                if (call.wantsGrad(w1)) ops.reduce().fill(call.grad(w1), 0);
                continue;
            }
            boolean want0 = call.wantsGrad(w0);
            boolean want1 = call.wantsGrad(w1);
            if (!(wantInput || want0 || want1)) continue;
            long r = counts[c];
            long hsz = hiddenSizes[c];
            long osz = clusterSizes[c];
            Tensor dLogits = ws.zeros(dt, r, osz);
            for (int k = 0; k < r; k++) {
                long row = rowsOf[c].getLong(k);
                dLogits.setDouble(k * osz + (tgt[(int) row] - bounds[c]), d);
            }
            sm.logSoftmaxBackward(dLogits, clusterLp[c], r, osz, 1, dLogits);
            if (want1) lin.matmulTransposeA(dLogits, hidden[c], r, osz, hsz, call.grad(w1));
            if (!(wantInput || want0)) continue;
            Tensor dHidden = ws.uninitialized(dt, r, hsz);
            lin.matmul(dLogits, a[w1], r, osz, hsz, dHidden);
            if (want0) lin.matmulTransposeA(dHidden, xr[c], r, hsz, f, call.grad(w0));
            if (wantInput) {
                Tensor dxr = ws.uninitialized(dt, r, f);
                lin.matmul(dHidden, a[w0], r, hsz, f, dxr);
                lin.scatterAddRows(dxr, rowsOf[c], r, f, gx);
            }
        }
    }

    /** The cluster of class {@code y} (-1: the shortlist). */
    private int clusterOf(long y) {
        if (y < shortlistSize) return -1;
        int c = Arrays.binarySearch(bounds, y);
        return c >= 0 ? c : -c - 2;
    }

    // ------------------------------------------------------------------ log_prob and predict

    /**
     * PyTorch's {@code log_prob}: the log-probabilities of all {@code n_classes} classes.
     *
     * @param input   {@code (N, in_features)}
     * @param weights the weights in argument order ({@code head_weight}, {@code head_bias} if {@code head_bias},
     *                {@code tail_0_0_weight}, {@code tail_0_1_weight}, ...)
     * @return {@code (N, n_classes)}, input's dtype
     */
    public Tensor logProb(Tensor input, Tensor... weights) {
        Tensor[] a = methodArgs("logProb", input, weights);
        long n = input.size(0);
        Ops ops = resolve(a);
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        try {
            Tensor headLogits = ws.uninitialized(input.dtype(), n, headSize);
            ops.linear().linear(input, a[HEAD_WEIGHT], headBias ? a[headBiasArg] : null, n, inFeatures, headSize, headLogits);
            Tensor out = Tensor.zeros(input.dtype(), n, nClasses);
            fullLogProb(ops, ws, input, headLogits, n, a, out);
            return out;
        } finally {
            ws.release(mark);
        }
    }

    /**
     * PyTorch's {@code predict}: the most probable class of each row, {@code log_prob(input).argmax(1)} computed as
     * PyTorch does (the head alone decides when its argmax is a shortlist class).
     *
     * @param input   {@code (N, in_features)}
     * @param weights the weights in argument order, as for {@link #logProb}
     * @return {@code (N)} int64 class indices
     */
    public Tensor predict(Tensor input, Tensor... weights) {
        Tensor[] a = methodArgs("predict", input, weights);
        long n = input.size(0);
        DType dt = input.dtype();
        Ops ops = resolve(a);
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        try {
            Tensor headLogits = ws.uninitialized(dt, n, headSize);
            ops.linear().linear(input, a[HEAD_WEIGHT], headBias ? a[headBiasArg] : null, n, inFeatures, headSize, headLogits);
            Tensor out = Tensor.zeros(DType.I64, n);
            int outside = 0;
            for (long r = 0; r < n; r++) {
                long best = argmax(headLogits, r * headSize, headSize);
                out.setDouble(r, best);
                if (best >= shortlistSize) outside++;
            }
            if (outside == 0) return out;
            // rows whose head argmax is a cluster: argmax of their full log-probabilities
            Tensor rows = ws.uninitialized(DType.I64, outside);
            for (long r = 0, k = 0; r < n; r++) if (out.getLong(r) >= shortlistSize) rows.setDouble(k++, r);
            Tensor xr = ws.uninitialized(dt, outside, inFeatures);
            ops.linear().gatherRows(input, rows, outside, inFeatures, xr);
            Tensor hr = ws.uninitialized(dt, outside, headSize);
            ops.linear().gatherRows(headLogits, rows, outside, headSize, hr);
            Tensor full = ws.uninitialized(dt, outside, nClasses);
            fullLogProb(ops, ws, xr, hr, outside, a, full);
            for (int k = 0; k < outside; k++) out.setDouble(rows.getLong(k), argmax(full, k * nClasses, nClasses));
            return out;
        } finally {
            ws.release(mark);
        }
    }

    /** PyTorch's {@code _get_full_log_prob}: {@code out (n, n_classes)} from the input rows and their head logits. */
    private void fullLogProb(Ops ops, Workspace ws, Tensor x, Tensor headLogits, long n, Tensor[] a, Tensor out) {
        DType dt = x.dtype();
        Tensor headLp = ws.uninitialized(dt, n, headSize);
        ops.softmax().logSoftmax(headLogits, n, headSize, 1, headLp);
        for (long r = 0; r < n; r++) {
            for (long k = 0; k < shortlistSize; k++) out.setDouble(r * nClasses + k, headLp.getDouble(r * headSize + k));
        }
        for (int c = 0; c < nClusters; c++) {
            long hsz = hiddenSizes[c];
            long osz = clusterSizes[c];
            Tensor hidden = ws.uninitialized(dt, n, hsz);
            ops.linear().linear(x, a[firstTailArg + 2 * c], null, n, inFeatures, hsz, hidden);
            Tensor logits = ws.uninitialized(dt, n, osz);
            ops.linear().linear(hidden, a[firstTailArg + 2 * c + 1], null, n, hsz, osz, logits);
            Tensor clusterLp = ws.uninitialized(dt, n, osz);
            ops.softmax().logSoftmax(logits, n, osz, 1, clusterLp);
            for (long r = 0; r < n; r++) {
                double head = headLp.getDouble(r * headSize + shortlistSize + c);
                for (long k = 0; k < osz; k++) out.setDouble(r * nClasses + bounds[c] + k, clusterLp.getDouble(r * osz + k) + head);
            }
        }
    }

    /** torch.argmax over {@code len} elements from {@code base}: the first maximum, a nan counting as the maximum. */
    private static long argmax(Tensor t, long base, long len) {
        long best = 0;
        double bv = t.getDouble(base);
        for (long k = 1; k < len && !Double.isNaN(bv); k++) {
            double v = t.getDouble(base + k);
            if (v > bv || Double.isNaN(v)) {
                bv = v;
                best = k;
            }
        }
        return best;
    }

    /** Validates {@code input (N, in_features)} and the weights of {@code logProb}/{@code predict}; returns them as arguments. */
    private Tensor[] methodArgs(String method, Tensor input, Tensor[] weights) {
        List<String> names = args.subList(HEAD_WEIGHT, args.size());
        if (weights == null || weights.length != names.size()) {
            throw new IllegalArgumentException(method + " takes input and the weights " + names + ", got "
                    + (weights == null ? 0 : weights.length) + " weights");
        }
        Check.floating("input", input);
        if (input.dim() != 2) {
            throw new IllegalArgumentException(method + " needs input of shape (N, in_features) with 2 dimensions, got shape "
                    + Check.shape(input));
        }
        checkFeatures(input);
        Tensor[] a = new Tensor[args.size()];
        a[INPUT] = input;
        System.arraycopy(weights, 0, a, HEAD_WEIGHT, weights.length);
        checkWeights(input, a);
        return a;
    }

    /** Builder for {@link AdaptiveLogSoftmaxWithLoss}; every setter validates its value. */
    public static final class Builder extends LossBuilder<Builder, AdaptiveLogSoftmaxWithLoss> {
        private long inFeatures = -1;
        private long nClasses = -1;
        private long[] cutoffs;
        private double divValue = 4.0;
        private boolean headBias;

        private Builder() {}

        /** PyTorch's {@code in_features}: the number of input features (required, &gt;= 0). */
        public Builder inFeatures(long inFeatures) {
            if (inFeatures < 0) throw new IllegalArgumentException("in_features must be >= 0, got " + inFeatures);
            this.inFeatures = inFeatures;
            return this;
        }

        /** PyTorch's {@code n_classes}: the number of classes (required, &gt;= 2 since cutoffs must fit below it). */
        public Builder nClasses(long nClasses) {
            if (nClasses < 2) {
                throw new IllegalArgumentException("n_classes must be >= 2 (cutoffs must lie in [1, n_classes - 1]), got " + nClasses);
            }
            this.nClasses = nClasses;
            return this;
        }

        /**
         * PyTorch's {@code cutoffs} (required): unique increasing class indices in {@code [1, n_classes - 1]} that
         * end the shortlist and each cluster but the last. Checked against {@code n_classes} by {@link #build()}.
         */
        public Builder cutoffs(long... cutoffs) {
            if (cutoffs == null) throw new IllegalArgumentException("cutoffs must not be null");
            this.cutoffs = cutoffs.clone();
            return this;
        }

        /** PyTorch's {@code div_value} (default 4.0): cluster i has {@code in_features // div_value^(i+1)} hidden units. */
        public Builder divValue(double divValue) {
            if (!(divValue > 0)) throw new IllegalArgumentException("div_value must be > 0, got " + divValue);
            this.divValue = divValue;
            return this;
        }

        /** PyTorch's {@code head_bias} (default false): whether the head has a bias (argument {@code head_bias}). */
        public Builder headBias(boolean headBias) {
            this.headBias = headBias;
            return this;
        }

        @Override
        public AdaptiveLogSoftmaxWithLoss build() {
            return new AdaptiveLogSoftmaxWithLoss(this);
        }
    }
}

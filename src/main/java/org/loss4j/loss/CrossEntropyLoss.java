package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * The cross entropy between logits and a target (PyTorch's {@code nn.CrossEntropyLoss}): log-softmax over the class
 * dimension, then the negative log likelihood of class indices, or of class probabilities.
 *
 * <p>Class-index targets, unreduced: {@code l_n = -w_{y_n} log softmax(x_n)_{y_n}} with {@code w_c = weight[c]}
 * (1 without weight), and {@code l_n = 0} where {@code y_n == ignore_index}. With {@code label_smoothing = eps > 0}:
 * {@code l_n = (1 - eps) * (-w_{y_n} log p_{n, y_n}) + eps / C * (-sum_c w_c log p_{n, c})}, both terms 0 for an
 * ignored target.
 *
 * <p>Class-probability targets (the target has the input's shape), unreduced:
 * {@code l_n = -sum_c w_c y'_{n, c} log p_{n, c}} with {@code y' = y (1 - eps) + eps / C}.
 *
 * <p>Reductions: {@code none} gives the {@code l_n}; {@code sum} their sum; {@code mean} for class indices divides by
 * {@code sum_n w_{y_n}} over non-ignored targets (the smoothing term too; nan when every target is ignored or the
 * batch is empty), and for class probabilities by the number of positions {@code N * d1 * ... * dK} (not by the
 * weights; nan for an empty input).
 *
 * <p>Arguments:
 * <ul>
 *   <li>{@code weight} (default none): a 1-D tensor of {@code C} class weights, of the input's dtype;</li>
 *   <li>{@code ignore_index} (default -100): a class-index target value that is skipped (it contributes neither to
 *       the loss, nor to the mean's denominator, nor to the gradient); only negative values are allowed with
 *       class-probability targets, as in PyTorch;</li>
 *   <li>{@code reduction} (default {@code mean});</li>
 *   <li>{@code label_smoothing} (default 0.0): in {@code [0, 1]}; the target becomes a mixture of the original
 *       target and the uniform distribution.</li>
 * </ul>
 *
 * <p>Shapes: input (logits, float32 or float64) {@code (C)}, {@code (N, C)} or {@code (N, C, d1, ..., dK)}; target
 * either class indices {@code ()}, {@code (N)} or {@code (N, d1, ..., dK)} (int64 or int32, each in {@code [0, C)} or
 * equal to {@code ignore_index}, else {@link IndexOutOfBoundsException}), or class probabilities of exactly the
 * input's shape and dtype. Output a scalar, or for {@code none} the input's shape without the class dimension.
 * Gradients: input, and target for class probabilities (as PyTorch; class indices have none).
 *
 * <pre>{@code
 * CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
 * Tensor logits = Tensor.of(new float[] {2, 0, -1, 0.5f, 1.5f, 0}, 2, 3);
 * LossResult r = ce.forwardBackward(logits, Tensor.of(new long[] {0, 1}));
 * r.loss().item();       // mean over the two samples
 * r.gradInput();         // (softmax(x) - y') / 2 with y' the smoothed one-hot target
 * }</pre>
 */
public final class CrossEntropyLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final Tensor weight;
    private final long ignoreIndex;
    private final double labelSmoothing;

    private CrossEntropyLoss(Reduction reduction, Backend backend, Tensor weight, long ignoreIndex, double labelSmoothing) {
        super(LossBuilder.standard("CrossEntropyLoss", reduction), backend);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    /** CrossEntropyLoss with PyTorch's defaults (no weight, ignore_index -100, reduction mean, label_smoothing 0). */
    public static CrossEntropyLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code weight}, {@code ignore_index}, {@code reduction}, {@code label_smoothing}. */
    public static CrossEntropyLoss fromOptions(LossOptions o) {
        Builder b = builder()
                .weight(o.getTensor("weight"))
                .ignoreIndex(o.getLong("ignore_index", NLLLoss.DEFAULT_IGNORE_INDEX))
                .reduction(o.reduction(Reduction.MEAN))
                .labelSmoothing(o.getDouble("label_smoothing", 0.0));
        o.finish();
        return b.build();
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor input, Tensor target) {
        return super.forward(input, target);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor input, Tensor target) {
        return super.forwardBackward(input, target);
    }

    /** A copy of the class weights, or null. */
    public Tensor weight() {
        return weight == null ? null : weight.copy();
    }

    /** The ignored class-index target value. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    /** The label smoothing in {@code [0, 1]}. */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight};
    }

    @Override
    public String name() {
        return "CrossEntropyLoss";
    }

    @Override
    public List<String> argumentNames() {
        return ARGS;
    }

    /**
     * {@code input} and {@code target}: PyTorch differentiates a class-probability target. A class-index target
     * (integer) has no gradient: the convenient calls return none for it, and
     * {@link #forwardBackwardInto} rejects a gradient tensor for it.
     */
    @Override
    public Set<String> differentiableArguments() {
        return DIFF;
    }

    @Override
    Loss withBackend(Backend backend) {
        return new CrossEntropyLoss(reduction, backend, weight, ignoreIndex, labelSmoothing);
    }

    @Override
    List<String> opGroups() {
        return List.of("softmax");
    }

    @Override
    public String toString() {
        return "CrossEntropyLoss(reduction=" + reduction.torchName() + ", ignore_index=" + ignoreIndex + ", label_smoothing="
                + labelSmoothing + (weight == null ? "" : ", weight=" + Check.shape(weight)) + ")";
    }

    @Override
    void compute(Call call) {
        Tensor input = Check.floating("input", call.args[0]);
        Tensor target = Check.present("target", call.args[1]);
        if (input.dim() == 0) {
            throw new IllegalArgumentException("input must be (C), (N, C) or (N, C, d1, ..., dK) logits, got a 0-dim tensor "
                    + "(PyTorch: Dimension specified as 1 but tensor has no dimensions)");
        }
        if (org.loss4j.internal.check.Check.sameShape(input, target)) {
            probabilities(call, input, target);
        } else {
            classIndices(call, input, target);
        }
    }

    /** Class-index targets: log-softmax, then the NLL pick (and the smoothing term). */
    private void classIndices(Call call, Tensor input, Tensor target) {
        if (target.dtype().isFloating()) {
            throw new IllegalArgumentException("target must be int64 (or int32) class indices, got " + target.dtype().torchName()
                    + " of shape " + Check.shape(target) + "; class probabilities need the input's shape " + Check.shape(input));
        }
        NLLLoss.ClassView v = NLLLoss.classView(input, target);
        NLLLoss.checkWeight(weight, input, v.classes());
        NLLLoss.checkTargets(target, v.classes(), ignoreIndex);
        if (call.backward && call.gradProvided(1)) {
            throw new IllegalArgumentException("no gradient for target: it holds class indices (" + target.dtype().torchName()
                    + "); PyTorch differentiates only class-probability targets");
        }

        DType dt = input.dtype();
        SoftmaxOps sm = call.ops.softmax();
        long outer = v.outer(), c = v.classes(), inner = v.inner();
        double eps = labelSmoothing;
        double[] sums = call.sums();
        boolean grad = call.wantsGrad(0);
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, v.outShape());
            Tensor go = grad ? call.gradOutputTensor(dt, v.outShape()) : null;
            sm.crossEntropyClassTarget(input, target, weight, ignoreIndex, eps, outer, c, inner, out, sums,
                    grad ? call.grad(0) : null, go, 1, false);
            return;
        }
        boolean mean = reduction == Reduction.MEAN;
        double g = grad ? call.gradOutputScalar() : 0;
        sm.crossEntropyClassTarget(input, target, weight, ignoreIndex, eps, outer, c, inner, null, sums,
                grad ? call.grad(0) : null, null, g, mean);
        double totalWeight = sums[SoftmaxOps.WEIGHT_SUM];
        double nll = mean ? sums[SoftmaxOps.NLL_SUM] / totalWeight : sums[SoftmaxOps.NLL_SUM];
        double loss = nll;
        if (eps > 0) {
            // PyTorch: (1 - eps) * nll + smooth * (eps / C), the smoothing term divided by the same weight sum
            double smooth = mean ? sums[SoftmaxOps.SMOOTH_SUM] / totalWeight : sums[SoftmaxOps.SMOOTH_SUM];
            loss = (1 - eps) * nll + smooth * (eps / c);
        }
        call.outputScalar(dt, loss);
    }

    private void probabilities(Call call, Tensor input, Tensor target) {
        if (!target.dtype().isFloating()) {
            throw new IllegalArgumentException("Expected floating point type for target with class probabilities, got "
                    + target.dtype().torchName() + ": a target of the input's shape " + Check.shape(input)
                    + " holds class probabilities; class indices need shape "
                    + (input.dim() == 1 ? "[]" : Arrays.toString(NLLLoss.targetShape(input))));
        }
        Check.sameDtype("input", input, "target", target);
        if (ignoreIndex >= 0) {
            throw new IllegalArgumentException("ignore_index is not supported for floating point target (class probabilities), "
                    + "got ignore_index=" + ignoreIndex);
        }
        int d = input.dim();
        long outer = d == 1 ? 1 : input.size(0);
        long c = d == 1 ? input.size(0) : input.size(1);
        long inner = 1;
        for (int k = 2; k < d; k++) inner *= input.size(k);
        long[] outShape = d == 1 ? new long[0] : NLLLoss.targetShape(input);
        if (weight != null) {
            Check.present("weight", weight);
            if (weight.size(0) != c) {
                throw new IllegalArgumentException("cross_entropy: weight tensor should be defined either for all " + c
                        + " classes or no classes but got weight tensor of shape: " + Check.shape(weight)
                        + " (input size " + Check.shape(input) + ")");
            }
            Check.sameDtype("input", input, "weight", weight);
        }

        DType dt = input.dtype();
        SoftmaxOps sm = call.ops.softmax();
        Tensor logp = call.ws.uninitialized(dt, input.shape());
        sm.logSoftmax(input, outer, c, inner, logp);
        double eps = labelSmoothing;
        boolean gradIn = call.wantsGrad(0);
        boolean gradTarget = call.wantsGrad(1);
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, outShape);
            sm.probTargetForward(logp, target, weight, eps, outer, c, inner, out);
            if (gradIn || gradTarget) {
                Tensor go = call.gradOutputTensor(dt, outShape);
                backward(call, sm, logp, target, eps, go, 1, outer, c, inner, gradIn, gradTarget);
            }
            return;
        }
        double sum = sm.probTargetForward(logp, target, weight, eps, outer, c, inner, null);
        boolean mean = reduction == Reduction.MEAN;
        // PyTorch: sum / (input.numel() / C), and nan (not 0/0 of a sum) for an empty input
        double positions = (double) outer * inner;
        double loss = !mean ? sum : input.numel() == 0 ? Double.NaN : sum / positions;
        call.outputScalar(dt, loss);
        if (gradIn || gradTarget) {
            double g = call.gradOutputScalar();
            backward(call, sm, logp, target, eps, null, mean ? g / positions : g, outer, c, inner, gradIn, gradTarget);
        }
    }

    private void backward(Call call, SoftmaxOps sm, Tensor logp, Tensor target, double eps, Tensor go, double scale,
                          long outer, long c, long inner, boolean gradIn, boolean gradTarget) {
        Tensor gi = gradIn ? call.grad(0) : null;
        Tensor gt = gradTarget ? call.grad(1) : null;
        sm.probTargetBackward(logp, target, weight, eps, go, scale, outer, c, inner, gi, gt);
        if (gi != null) sm.logSoftmaxBackward(gi, logp, outer, c, inner, gi);
    }

    /** Builder for {@link CrossEntropyLoss}. */
    public static final class Builder extends LossBuilder<Builder, CrossEntropyLoss> {
        private Tensor weight;
        private long ignoreIndex = NLLLoss.DEFAULT_IGNORE_INDEX;
        private double labelSmoothing;

        private Builder() {}

        /**
         * PyTorch's {@code weight}: a 1-D float32 or float64 tensor of {@code C} class weights (copied), of the input's
         * dtype; null (default) for all ones.
         */
        public Builder weight(Tensor weight) {
            this.weight = NLLLoss.weightOption(weight);
            return this;
        }

        /** PyTorch's {@code ignore_index} (default -100): class-index targets with this value are skipped. */
        public Builder ignoreIndex(long ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        /**
         * PyTorch's {@code label_smoothing} in {@code [0, 1]} (default 0). PyTorch ignores a negative or nan value
         * for class-index targets; loss4j rejects it.
         */
        public Builder labelSmoothing(double labelSmoothing) {
            if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
                throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0, got " + labelSmoothing);
            }
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        @Override
        public CrossEntropyLoss build() {
            return new CrossEntropyLoss(reduction, backend, weight, ignoreIndex, labelSmoothing);
        }
    }
}

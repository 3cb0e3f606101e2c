package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;

/**
 * Multi-class classification hinge loss between scores {@code input} x and class indices {@code target} y
 * (PyTorch's {@code nn.MultiMarginLoss}).
 *
 * <p>For each sample, with {@code C} classes:
 * {@code loss(x, y) = sum_{i != y} w[y] * max(0, margin - x[y] + x[i])^p / C},
 * where {@code w[y]} is 1 without a {@code weight}. A hinge argument of exactly 0 contributes nothing, and no
 * gradient, as in PyTorch. Then {@code mean}: the mean over samples; {@code sum}: their sum; {@code none}: one loss
 * per sample. The mean over an empty batch is nan and the sum 0 (PyTorch's fused kernel returns uninitialised
 * memory there; loss4j returns the mean and sum of its empty unreduced output instead).
 *
 * <p>Arguments: {@code p} (default 1; 1 and 2 are the only values PyTorch supports), {@code margin} (default 1.0,
 * any non-NaN value), {@code weight} (default none; a 1-D tensor of C per-class weights of the input's dtype),
 * {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (N, C)} or {@code (C)} (a 0-dim input is one sample with C = 1); target {@code (N)} or
 * {@code ()} (one element per sample; int64 or int32 class indices in {@code [0, C)}, else
 * {@link IndexOutOfBoundsException}); output a scalar, or the target's shape for {@code none}. Gradients: input.
 *
 * <pre>{@code
 * MultiMarginLoss loss = MultiMarginLoss.create();
 * Tensor x = Tensor.of(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 1, 4);
 * Tensor y = Tensor.of(new long[] {3});
 * loss.forward(x, y).item();   // ((1-(0.8-0.1)) + (1-(0.8-0.2)) + (1-(0.8-0.4))) / 4 = 0.325
 * }</pre>
 */
public final class MultiMarginLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    private final int p;
    private final double margin;
    private final Tensor weight;

    private MultiMarginLoss(Builder b) {
        super(LossBuilder.standard("MultiMarginLoss", b.reduction), b.backend);
        this.p = b.p;
        this.margin = b.margin;
        this.weight = b.weight;
    }

    /** MultiMarginLoss with PyTorch's defaults (p 1, margin 1.0, no weight, reduction mean). */
    public static MultiMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code p}, {@code margin}, {@code weight}, {@code reduction}. */
    public static MultiMarginLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        double p = o.getDouble("p", 1);
        if (p != 1 && p != 2) throw Builder.badP(String.valueOf(p));
        b.p((int) p).margin(o.getDouble("margin", 1.0));
        Tensor w = o.getTensor("weight");
        if (w != null) b.weight(w);
        o.finish();
        return b.build();
    }

    /** The norm degree: 1 or 2. */
    public int p() {
        return p;
    }

    public double margin() {
        return margin;
    }

    /** The per-class weights (a copy taken at build time), or null. */
    public Tensor weight() {
        return weight;
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor input, Tensor target) {
        return super.forward(input, target);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor input, Tensor target) {
        return super.forwardBackward(input, target);
    }

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight};
    }

    /** PyTorch has no bfloat16 CPU kernel for this loss. */
    @Override
    boolean takesBf16() {
        return false;
    }

    @Override
    public String name() {
        return "MultiMarginLoss";
    }

    @Override
    public List<String> argumentNames() {
        return ARGS;
    }

    @Override
    public Set<String> differentiableArguments() {
        return DIFF;
    }

    @Override
    Loss withBackend(Backend backend) {
        Builder b = builder().reduction(reduction).backend(backend).p(p).margin(margin);
        b.weight = weight;
        return b.build();
    }

    @Override
    List<String> opGroups() {
        return List.of("margin");
    }

    @Override
    public String toString() {
        return "MultiMarginLoss(p=" + p + ", margin=" + margin + (weight != null ? ", weight=" + weight : "")
                + ", reduction=" + reduction.torchName() + ")";
    }

    @Override
    void compute(Call call) {
        Tensor input = Check.floating("input", call.args[0]);
        Tensor target = Check.integral("target", call.args[1]);
        int nd = input.dim();
        if (nd > 2 || (nd >= 1 && input.size(nd - 1) == 0)) {
            throw new IllegalArgumentException("input must be (C) or (N, C) with C > 0 classes (a non-empty vector or "
                    + "matrix with optional 0-dim batch size), got shape " + Check.shape(input));
        }
        long rows = nd <= 1 ? 1 : input.size(0);
        long classes = nd == 0 ? 1 : input.size(nd - 1);
        if (target.dim() > 1 || target.numel() != rows) {
            throw new IllegalArgumentException("target must be 1-D with one class index per sample: expected shape ["
                    + rows + "]" + (nd <= 1 ? " or []" : "") + " for input of shape " + Check.shape(input) + ", got "
                    + Check.shape(target));
        }
        if (weight != null) {
            Check.sameDtype("input", input, "weight", weight);
            if (weight.numel() != classes) {
                throw new IllegalArgumentException("weight must have one entry per class: expected " + classes
                        + " (input " + Check.shape(input) + "), got shape " + Check.shape(weight));
            }
        }
        for (long n = 0; n < rows; n++) Check.classIndex("target", target.getLong(n), n, classes);

        DType dt = input.dtype();
        Tensor x = Call.view(input, rows, classes);
        Tensor y = Call.view(target, rows);
        if (reduction == Reduction.NONE) {
            Tensor go = call.wantsGrad(0) ? call.gradOutputTensor(dt, target.shape()) : null;
            Tensor out = call.output(dt, target.shape());
            call.ops.margin().multiMargin(x, y, weight, p, margin, Call.view(out, rows));
            if (go != null) {
                call.ops.margin().multiMarginBackward(x, y, weight, p, margin, Call.view(go, rows), 0,
                        Call.view(call.grad(0), rows, classes));
            }
        } else {
            double divisor = reduction == Reduction.MEAN ? rows : 1;
            double g = call.backward ? call.gradOutputScalar() : 0;
            double sum = call.ops.margin().multiMargin(x, y, weight, p, margin, null);
            call.outputScalar(dt, sum / divisor);
            if (call.wantsGrad(0)) {
                call.ops.margin().multiMarginBackward(x, y, weight, p, margin, null, g / divisor,
                        Call.view(call.grad(0), rows, classes));
            }
        }
    }

    /** Builder for {@link MultiMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, MultiMarginLoss> {
        private int p = 1;
        private double margin = 1.0;
        private Tensor weight;

        private Builder() {}

        static IllegalArgumentException badP(String p) {
            return new IllegalArgumentException("MultiMarginLoss: p must be 1 or 2 (only p == 1 and p == 2 supported), got " + p);
        }

        /** PyTorch's {@code p}: 1 (default) or 2. */
        public Builder p(int p) {
            if (p != 1 && p != 2) throw badP(String.valueOf(p));
            this.p = p;
            return this;
        }

        /** PyTorch's {@code margin}; default 1.0. NaN is rejected (PyTorch silently gives loss 0). */
        public Builder margin(double margin) {
            if (Double.isNaN(margin)) throw new IllegalArgumentException("MultiMarginLoss: margin must not be NaN");
            this.margin = margin;
            return this;
        }

        /**
         * PyTorch's {@code weight}: a 1-D floating tensor of C per-class weights (copied), or null for none.
         * Its dtype must match the input's and its length the number of classes (checked per call).
         */
        public Builder weight(Tensor weight) {
            if (weight == null) {
                this.weight = null;
                return this;
            }
            Check.floating("weight", weight);
            if (weight.dim() != 1) {
                throw new IllegalArgumentException("MultiMarginLoss: expected weight to be None or 1D tensor, got "
                        + weight.dim() + "D instead (shape " + Check.shape(weight) + ")");
            }
            this.weight = weight.copy();
            return this;
        }

        @Override
        public MultiMarginLoss build() {
            return new MultiMarginLoss(this);
        }
    }
}

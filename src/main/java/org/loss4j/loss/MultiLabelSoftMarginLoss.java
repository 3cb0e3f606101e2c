package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * A multi-label one-versus-all loss based on max-entropy between logits {@code input} x and labels {@code target} y
 * (PyTorch's {@code nn.MultiLabelSoftMarginLoss}).
 *
 * <p>Unreduced, per sample: {@code l_n = -1/C * sum_c w_c (y_{n,c} log sigmoid(x_{n,c}) + (1 - y_{n,c}) log sigmoid(-x_{n,c}))}
 * with {@code w_c = weight[c]} (1 without weight), and {@code log sigmoid(x) = min(x, 0) - log1p(exp(-|x|))} as
 * PyTorch's {@code logsigmoid}. Then {@code mean}: the mean of the {@code l_n} (nan for an empty batch);
 * {@code sum}: their sum; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code weight} (default none): a 1-D tensor of {@code C} class weights of the input's dtype;
 * {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (N, C)} or {@code (C)} (PyTorch computes over the last dimension, so {@code (*, C)} works
 * too); target of exactly the input's shape and dtype, usually 0 or 1 but any value is taken; output a scalar, or
 * the input's shape without the last dimension for {@code none}. Gradients: input and target.
 *
 * <pre>{@code
 * MultiLabelSoftMarginLoss loss = MultiLabelSoftMarginLoss.create();
 * LossResult r = loss.forwardBackward(Tensor.of(new float[] {2, -1, 0.5f}, 1, 3), Tensor.of(new float[] {1, 0, 1}, 1, 3));
 * r.loss().item();       // (softplus(-2) + softplus(-1) + softplus(-0.5)) / 3
 * r.gradInput();         // (sigmoid(x) - y) / 3
 * }</pre>
 */
public final class MultiLabelSoftMarginLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final Tensor weight;

    private MultiLabelSoftMarginLoss(Reduction reduction, Backend backend, Tensor weight) {
        super(LossBuilder.standard("MultiLabelSoftMarginLoss", reduction), backend);
        this.weight = weight;
    }

    /** MultiLabelSoftMarginLoss with PyTorch's defaults (no weight, reduction mean). */
    public static MultiLabelSoftMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code weight}, {@code reduction}. */
    public static MultiLabelSoftMarginLoss fromOptions(LossOptions o) {
        Builder b = builder().weight(o.getTensor("weight")).reduction(o.reduction(Reduction.MEAN));
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

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight};
    }

    @Override
    public String name() {
        return "MultiLabelSoftMarginLoss";
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
        return new MultiLabelSoftMarginLoss(reduction, backend, weight);
    }

    @Override
    List<String> opGroups() {
        return List.of("pointwise", "reduce");
    }

    @Override
    public String toString() {
        return "MultiLabelSoftMarginLoss(reduction=" + reduction.torchName()
                + (weight == null ? "" : ", weight=" + Check.shape(weight)) + ")";
    }

    @Override
    void compute(Call call) {
        Tensor input = Check.floating("input", call.args[0]);
        Tensor target = Check.floating("target", call.args[1]);
        if (input.dim() == 0) {
            throw new IllegalArgumentException("input must be (N, C) or (C), got a 0-dim tensor "
                    + "(PyTorch: Dimension specified as -1 but tensor has no dimensions)");
        }
        Check.sameDtype("input", input, "target", target);
        Check.sameShape("input", input, "target", target);
        long[] shape = input.shape();
        long c = shape[shape.length - 1];
        long[] outShape = Arrays.copyOf(shape, shape.length - 1);
        long rows = 1;
        for (long d : outShape) rows *= d;
        DType dt = input.dtype();
        Tensor w = weight;
        if (w != null) {
            Check.present("weight", w);
            if (w.size(0) != c) {
                throw new IllegalArgumentException("weight must have one entry per class (C = " + c + ", the last dimension of input "
                        + Check.shape(input) + "), got weight of shape " + Check.shape(w));
            }
            Check.sameDtype("input", input, "weight", w);
        }

        boolean gx = call.wantsGrad(0), gy = call.wantsGrad(1);
        Tensor[] grads = gx || gy ? new Tensor[] {gx ? call.grad(0) : null, gy ? call.grad(1) : null, null, null} : null;
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, outShape);
            Tensor terms = call.ws.uninitialized(dt, shape);
            Tensor[] xyw = w == null ? new Tensor[] {input, target} : new Tensor[] {input, target, w};
            call.ops.pointwise().apply(Term.of(w != null, false), xyw, shape, terms, null, 0, null);
            // PyTorch: loss.sum(dim=-1) / C
            call.ops.reduce().sumDim(terms, rows, c, 1, 1.0 / c, out);
            if (grads != null) {
                // the upstream gradient of row n, broadcast over its C terms as one more operand
                Tensor go = call.gradOutputTensor(dt, outShape);
                long[] goShape = Arrays.copyOf(outShape, outShape.length + 1);
                goShape[outShape.length] = 1;
                Tensor g = go.reshape(goShape);
                Tensor[] ops = w == null ? new Tensor[] {input, target, g} : new Tensor[] {input, target, w, g};
                call.ops.pointwise().apply(Term.of(w != null, true), ops, shape, null, null, 1.0 / c, grads);
            }
            return;
        }
        boolean mean = reduction == Reduction.MEAN;
        double g = grads != null ? call.gradOutputScalar() : 0;
        double scale = mean ? g / c / rows : g / c;
        Tensor[] xyw = w == null ? new Tensor[] {input, target} : new Tensor[] {input, target, w};
        if (grads != null) grads = Arrays.copyOf(grads, xyw.length);
        double sum = call.ops.pointwise().apply(Term.of(w != null, false), xyw, shape, null, null, scale, grads);
        // PyTorch: (sum_c / C).mean() or .sum(); the mean of no rows is nan
        double perClass = sum / c;
        call.outputScalar(dt, mean ? perClass / rows : perClass);
    }

    /**
     * {@code -(y log sigmoid(x) + (1 - y) log sigmoid(-x))} over operands {@code (x, y[, w][, g])}, times the class
     * weight {@code w} and the upstream gradient {@code g} where present.
     */
    static final class Term implements PointwiseFn {
        private static final Term[] ALL = {new Term(false, false), new Term(true, false), new Term(false, true), new Term(true, true)};

        private final boolean weighted;
        private final boolean upstream;

        private Term(boolean weighted, boolean upstream) {
            this.weighted = weighted;
            this.upstream = upstream;
        }

        static Term of(boolean weighted, boolean upstream) {
            return ALL[(weighted ? 1 : 0) + (upstream ? 2 : 0)];
        }

        @Override
        public String name() {
            return "multilabel_soft_margin";
        }

        @Override
        public int arity() {
            return 2 + (weighted ? 1 : 0) + (upstream ? 1 : 0);
        }

        private double factor(double c, double d) {
            double f = weighted ? c : 1;
            if (upstream) f *= weighted ? d : c;
            return f;
        }

        @Override
        public double value(double x, double y, double c, double d) {
            double v = -(y * logSigmoid(x) + (1 - y) * logSigmoid(-x));
            return weighted || upstream ? v * factor(c, d) : v;
        }

        @Override
        public void grad(double x, double y, double c, double d, double g, double[] out) {
            double s = g * factor(c, d);
            // d/dx: -(y * dls(x) - (1 - y) * dls(-x)); d/dy: -(ls(x) - ls(-x)), as PyTorch's autograd takes them
            out[0] = -(y * logSigmoidGrad(x) - (1 - y) * logSigmoidGrad(-x)) * s;
            out[1] = -(logSigmoid(x) - logSigmoid(-x)) * s;
        }

        /** PyTorch's log_sigmoid: {@code min(x, 0) - log1p(exp(-|x|))}. */
        static double logSigmoid(double x) {
            return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
        }

        /** PyTorch's log_sigmoid_backward: {@code (x < 0 ? 1 : 0) - (x < 0 ? 1 : -1) * z / (1 + z)}, z = exp(-|x|). */
        static double logSigmoidGrad(double x) {
            double z = Math.exp(-Math.abs(x));
            double q = z / (1 + z);
            return x < 0 ? 1 - q : q;
        }
    }

    /** Builder for {@link MultiLabelSoftMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, MultiLabelSoftMarginLoss> {
        private Tensor weight;

        private Builder() {}

        /**
         * PyTorch's {@code weight}: a 1-D float32 or float64 tensor of {@code C} class weights (copied), of the input's
         * dtype; null (default) for all ones.
         */
        public Builder weight(Tensor weight) {
            this.weight = NLLLoss.weightOption(weight);
            return this;
        }

        @Override
        public MultiLabelSoftMarginLoss build() {
            return new MultiLabelSoftMarginLoss(reduction, backend, weight);
        }
    }
}

package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Binary cross entropy on logits: a sigmoid and {@link BCELoss} in one numerically stable term (PyTorch's
 * {@code nn.BCEWithLogitsLoss}).
 *
 * <p>Unreduced: {@code l_n = -w_n [p y_n log sigmoid(x_n) + (1 - y_n) log(1 - sigmoid(x_n))]}, computed as PyTorch
 * does: {@code w_n [(1 - y_n) x_n - (1 + (p - 1) y_n) logsigmoid(x_n)]} with
 * {@code logsigmoid(x) = min(x, 0) - log1p(exp(-|x|))}, so logits of any size stay finite. {@code p} is
 * {@code pos_weight} (1 without one). Then {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum;
 * {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code weight} (default none: 1), a rescaling weight broadcast to the input's shape;
 * {@code reduction} (default {@code mean}); {@code pos_weight} (default none: 1), the weight of positive
 * examples, broadcast with the target: shape {@code (C)} weights class {@code c} of the last dimension.
 *
 * <p>Shapes: input {@code (*)}, target the same shape, weight and pos_weight broadcastable to it; output a scalar,
 * or input's shape for {@code none}. Gradients: input {@code w [(p y + 1 - y) sigmoid(x) - p y]} and target
 * ({@code -w x} without pos_weight, else {@code w [logsigmoid(-x) - p logsigmoid(x)]}).
 *
 * <pre>{@code
 * BCEWithLogitsLoss loss = BCEWithLogitsLoss.builder().posWeight(Tensor.of(new float[] {3})).build();
 * LossResult r = loss.forwardBackward(Tensor.of(new float[] {0.5f, -1}), Tensor.of(new float[] {1, 0}));
 * r.loss().item();          // (3 * softplus(-0.5) + softplus(-1)) / 2 = 0.8677
 * r.gradInput();            // [3 (sigmoid(0.5) - 1) / 2, sigmoid(-1) / 2] = [-0.5663, 0.1345]
 * }</pre>
 */
public final class BCEWithLogitsLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final Tensor weight;
    private final Tensor posWeight;
    private final int[] operands;
    private final LogitsBinaryCrossEntropy fn;

    private BCEWithLogitsLoss(Builder b) {
        super(LossBuilder.standard("BCEWithLogitsLoss", b.reduction), b.backend);
        this.weight = b.weight;
        this.posWeight = b.posWeight;
        int n = 2 + (weight != null ? 1 : 0) + (posWeight != null ? 1 : 0);
        this.operands = new int[n];
        operands[0] = 0;
        operands[1] = 1;
        for (int k = 2; k < n; k++) operands[k] = OPTION;
        this.fn = new LogitsBinaryCrossEntropy(weight != null, posWeight != null);
    }

    /** BCEWithLogitsLoss with PyTorch's defaults (no weight, no pos_weight, reduction mean). */
    public static BCEWithLogitsLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code weight}, {@code reduction}, {@code pos_weight}. */
    public static BCEWithLogitsLoss fromOptions(LossOptions o) {
        Builder b = builder().weight(o.getTensor("weight")).reduction(o.reduction(Reduction.MEAN))
                .posWeight(o.getTensor("pos_weight"));
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

    /** The rescaling weight, or null. */
    public Tensor weight() {
        return weight;
    }

    /** The weight of positive examples, or null. */
    public Tensor posWeight() {
        return posWeight;
    }

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight, posWeight};
    }

    @Override
    public String name() {
        return "BCEWithLogitsLoss";
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
    public String toString() {
        return "BCEWithLogitsLoss(weight=" + (weight == null ? "None" : Check.shape(weight)) + ", reduction="
                + reduction.torchName() + ", pos_weight=" + (posWeight == null ? "None" : Check.shape(posWeight)) + ")";
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().weight(weight).posWeight(posWeight).reduction(reduction).backend(backend).build();
    }

    @Override
    int[] operands() {
        return operands;
    }

    @Override
    Tensor optionOperand(Call call, int k) {
        return k == 2 && weight != null ? weight : posWeight;
    }

    @Override
    void validate(Call call) {
        Tensor input = call.args[0];
        Tensor target = call.args[1];
        // PyTorch: ValueError "Target size (...) must be the same as input size (...)"
        if (!sameShape(input, target)) {
            throw new IllegalArgumentException("BCEWithLogitsLoss: target size " + Check.shape(target)
                    + " must be the same as input size " + Check.shape(input));
        }
        if (weight != null) BCELoss.checkOptionTensor("weight", weight, input);
        if (posWeight != null) BCELoss.checkOptionTensor("pos_weight", posWeight, input);
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    /** {@code log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))}, finite for every finite x. */
    static double logSigmoid(double x) {
        return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /**
     * ATen's {@code binary_cross_entropy_with_logits}: {@code w [(1 - y) x - (1 + (p - 1) y) logsigmoid(x)]} over
     * operands (x, y[, w][, p]); the backward formulas are ATen's too.
     */
    static final class LogitsBinaryCrossEntropy implements PointwiseFn {
        private final boolean weighted;
        private final boolean positive;

        LogitsBinaryCrossEntropy(boolean weighted, boolean positive) {
            this.weighted = weighted;
            this.positive = positive;
        }

        @Override
        public Kind kind() {
            return weighted || positive ? Kind.OTHER : Kind.LOGITS_BCE;
        }

        @Override
        public String name() {
            return "binary_cross_entropy_with_logits" + (weighted ? "+weight" : "") + (positive ? "+pos_weight" : "");
        }

        @Override
        public int arity() {
            return 2 + (weighted ? 1 : 0) + (positive ? 1 : 0);
        }

        @Override
        public double value(double x, double y, double c, double d) {
            double ls = logSigmoid(x);
            if (positive) ls *= ((weighted ? d : c) - 1) * y + 1;
            double v = (1 - y) * x - ls;
            return weighted ? v * c : v;
        }

        @Override
        public double valueF32(double a, double b, double c, double d) {
            float x = (float) a;
            float y = (float) b;
            float ls = Math.min(x, 0f) - (float) Math.log1p((float) Math.exp(-Math.abs(x)));
            if (positive) ls *= ((float) (weighted ? d : c) - 1f) * y + 1f;
            float v = (1f - y) * x - ls;
            return weighted ? v * (float) c : v;
        }

        @Override
        public void grad(double x, double y, double c, double d, double g, double[] out) {
            double w = weighted ? c : 1;
            if (positive) {
                double p = weighted ? d : c;
                double t = p * y;
                out[0] = ((t + 1 - y) * sigmoid(x) - t) * g * w;
                out[1] = (logSigmoid(-x) - logSigmoid(x) * p) * g * w;
            } else {
                out[0] = (sigmoid(x) - y) * g * w;
                out[1] = -x * g * w;
            }
        }
    }

    /** Builder for {@link BCEWithLogitsLoss}. */
    public static final class Builder extends LossBuilder<Builder, BCEWithLogitsLoss> {
        private Tensor weight;
        private Tensor posWeight;

        private Builder() {}

        /** PyTorch's {@code weight}: a rescaling weight broadcast to the input's shape; null for none (default). */
        public Builder weight(Tensor weight) {
            if (weight != null) Check.floating("weight", weight);
            this.weight = weight;
            return this;
        }

        /**
         * PyTorch's {@code pos_weight}: the weight of positive examples, broadcast with the target (shape {@code (C)}
         * for C classes in the last dimension); null for none (default).
         */
        public Builder posWeight(Tensor posWeight) {
            if (posWeight != null) Check.floating("pos_weight", posWeight);
            this.posWeight = posWeight;
            return this;
        }

        @Override
        public BCEWithLogitsLoss build() {
            return new BCEWithLogitsLoss(this);
        }
    }
}

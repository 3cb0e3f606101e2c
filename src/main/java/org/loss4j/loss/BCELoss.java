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
 * Binary cross entropy between probabilities {@code input} x and {@code target} y (PyTorch's {@code nn.BCELoss}).
 *
 * <p>Unreduced: {@code l_n = -w_n [y_n max(log x_n, -100) + (1 - y_n) max(log(1 - x_n), -100)]}; each log is
 * clamped at -100 as in PyTorch, so probabilities of exactly 0 and 1 give finite losses. Then
 * {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code weight} (default none: 1), a rescaling weight broadcast to the input's shape;
 * {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)} with values in [0, 1]; target the same shape with values in [0, 1]; weight
 * broadcastable to input's shape; output a scalar, or input's shape for {@code none}. Values outside [0, 1]
 * (or NaN) throw, as in PyTorch. Gradients: input {@code w (x - y) / max(x (1 - x), 1e-12)} and target
 * {@code -w log(x / (1 - x))} (infinite at x = 0 and x = 1, as PyTorch's).
 *
 * <pre>{@code
 * BCELoss bce = BCELoss.create();
 * LossResult r = bce.forwardBackward(Tensor.of(new float[] {0.8f, 0.4f}), Tensor.of(new float[] {1, 0}));
 * r.loss().item();          // (-log 0.8 - log 0.6) / 2 = 0.3670
 * r.gradInput();            // [-0.625, 0.8333]
 * }</pre>
 */
public final class BCELoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");
    private static final int[] PLAIN = {0, 1};
    private static final int[] WEIGHTED = {0, 1, OPTION};

    private final Tensor weight;

    private BCELoss(Builder b) {
        super(LossBuilder.standard("BCELoss", b.reduction), b.backend);
        this.weight = b.weight;
    }

    /** BCELoss with PyTorch's defaults (no weight, reduction mean). */
    public static BCELoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code weight}, {@code reduction}. */
    public static BCELoss fromOptions(LossOptions o) {
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

    /** The rescaling weight, or null. */
    public Tensor weight() {
        return weight;
    }

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight};
    }

    @Override
    public String name() {
        return "BCELoss";
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
        return "BCELoss(weight=" + (weight == null ? "None" : Check.shape(weight)) + ", reduction=" + reduction.torchName() + ")";
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().weight(weight).reduction(reduction).backend(backend).build();
    }

    @Override
    int[] operands() {
        return weight == null ? PLAIN : WEIGHTED;
    }

    @Override
    Tensor optionOperand(Call call, int k) {
        return weight;
    }

    @Override
    void validate(Call call) {
        Tensor input = call.args[0];
        Tensor target = call.args[1];
        // PyTorch: ValueError "Using a target size ... that is different to the input size"
        if (!sameShape(input, target)) {
            throw new IllegalArgumentException("BCELoss: target size " + Check.shape(target)
                    + " must be the same as input size " + Check.shape(input));
        }
        if (weight != null) checkOptionTensor("weight", weight, input);
        probabilities("input", input);
        probabilities("target", target);
    }

    /** PyTorch's check: "all elements of input/target should be between 0 and 1" (NaN fails it too). */
    private static void probabilities(String name, Tensor t) {
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            double v = t.getDouble(i);
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException("BCELoss: all elements of " + name + " should be between 0 and 1, got "
                        + v + " at position " + i + " of " + name + " " + Check.shape(t));
            }
        }
    }

    /**
     * An option tensor (weight, pos_weight): present, of input's dtype, and broadcastable to input's shape without
     * growing it (PyTorch fails with "output with shape ... doesn't match the broadcast shape").
     */
    static void checkOptionTensor(String name, Tensor t, Tensor input) {
        Check.present(name, t);
        Check.sameDtype("input", input, name, t);
        if (broadcastsInto(t, input)) return;
        long[] b = Check.broadcast(name, t.shape(), "input", input.shape());
        if (!Arrays.equals(b, input.shape())) {
            throw new IllegalArgumentException(name + " of shape " + Check.shape(t) + " must broadcast to input's shape "
                    + Check.shape(input) + ", but broadcasting gives " + Arrays.toString(b));
        }
    }

    @Override
    PointwiseFn fn() {
        return weight == null ? BinaryCrossEntropy.PLAIN : BinaryCrossEntropy.WEIGHTED;
    }

    /**
     * {@code c * [(b - 1) max(log1p(-a), -100) - b max(log a, -100)]} with {@code c} the weight (1 without one);
     * d/da = c (a - b) / max(a (1 - a), 1e-12), d/db = -c log(a / (1 - a)) (ATen's backward formulas).
     */
    static final class BinaryCrossEntropy implements PointwiseFn {
        static final BinaryCrossEntropy PLAIN = new BinaryCrossEntropy(false);
        static final BinaryCrossEntropy WEIGHTED = new BinaryCrossEntropy(true);
        /** ATen's EPSILON is a float 1e-12 (9.99999996e-13), in float64 too, as the vectors show. */
        private static final double EPSILON = 1e-12f;

        private final boolean weighted;

        private BinaryCrossEntropy(boolean weighted) {
            this.weighted = weighted;
        }

        @Override
        public String name() {
            return weighted ? "weighted_binary_cross_entropy" : "binary_cross_entropy";
        }

        @Override
        public int arity() {
            return weighted ? 3 : 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            double v = (b - 1) * Math.max(Math.log1p(-a), -100) - b * Math.max(Math.log(a), -100);
            return weighted ? v * c : v;
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float x = (float) a;
            float y = (float) b;
            float log1m = Math.max((float) Math.log1p(-x), -100f);
            float log = Math.max((float) Math.log(x), -100f);
            float v = (y - 1f) * log1m - y * log;
            return weighted ? v * (float) c : v;
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double w = weighted ? c : 1;
            out[0] = g * (a - b) / Math.max((1 - a) * a, EPSILON) * w;
            out[1] = -Math.log(a / (1 - a)) * g * w;
        }
    }

    /** Builder for {@link BCELoss}. */
    public static final class Builder extends LossBuilder<Builder, BCELoss> {
        private Tensor weight;

        private Builder() {}

        /** PyTorch's {@code weight}: a rescaling weight broadcast to the input's shape; null for none (default). */
        public Builder weight(Tensor weight) {
            if (weight != null) Check.floating("weight", weight);
            this.weight = weight;
            return this;
        }

        @Override
        public BCELoss build() {
            return new BCELoss(this);
        }
    }
}

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
 * Two-class logistic loss between {@code input} x and {@code target} y of 1 or -1 (PyTorch's
 * {@code nn.SoftMarginLoss}).
 *
 * <p>Unreduced: {@code l_n = log(1 + exp(-y_n x_n))}, computed as PyTorch does ({@code log1p(exp(-x y))}, not a
 * stable softplus): {@code exp} overflows to inf where {@code -x y} exceeds about 88.7 in float32 (709.8 in
 * float64), giving an infinite loss and a nan gradient there, exactly as PyTorch. Then {@code mean}: the mean of all
 * {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves. The gradient in x is
 * {@code -y exp(-x y) / (1 + exp(-x y))}.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)}; target {@code (*)} broadcastable to input's shape (PyTorch writes the result into a
 * tensor of input's shape, so a target that would enlarge it is an error); output a scalar, or input's shape for
 * {@code none}. Gradients: input only (PyTorch does not differentiate target).
 *
 * <pre>{@code
 * SoftMarginLoss sm = SoftMarginLoss.create();
 * LossResult r = sm.forwardBackward(Tensor.of(new float[] {0, 2}), Tensor.of(new float[] {1, -1}));
 * r.loss().item();          // (log 2 + log(1 + e^2)) / 2
 * r.gradInput();            // [-0.25, e^2 / (1 + e^2) / 2]
 * }</pre>
 */
public final class SoftMarginLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    private SoftMarginLoss(Builder b) {
        super(LossBuilder.standard("SoftMarginLoss", b.reduction), b.backend);
    }

    /** SoftMarginLoss with PyTorch's defaults (reduction mean). */
    public static SoftMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}. */
    public static SoftMarginLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
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

    @Override
    public String name() {
        return "SoftMarginLoss";
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
        return builder().reduction(reduction).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return SoftMargin.INSTANCE;
    }

    /** PyTorch computes in place in a tensor of input's shape: target must broadcast to it without enlarging it. */
    @Override
    void validate(Call call) {
        Tensor input = call.args[0];
        Tensor target = call.args[1];
        if (broadcastsInto(target, input)) return;
        long[] shape = Check.broadcast("input", input.shape(), "target", target.shape());
        if (!Arrays.equals(shape, input.shape())) {
            throw new IllegalArgumentException("target of shape " + Check.shape(target) + " must broadcast to input's shape "
                    + Check.shape(input) + " (the output has input's shape), but together they broadcast to "
                    + Arrays.toString(shape));
        }
    }

    /**
     * {@code log1p(exp(-a b))}; d/da = {@code -b z / (1 + z)} with {@code z = exp(-a b)}, in PyTorch's order of
     * operations, so that an infinite z gives nan as in PyTorch. Float32 computes z in float (overflow above 88.7).
     */
    static final class SoftMargin implements PointwiseFn {
        static final SoftMargin INSTANCE = new SoftMargin();

        @Override
        public String name() {
            return "soft_margin";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            return Math.log1p(Math.exp(-a * b));
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float z = (float) Math.exp(-(float) a * (float) b);
            return (float) Math.log1p(z);
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double z = Math.exp(-b * a);
            out[0] = -(b * z) / (z + 1) * g;
        }

        @Override
        public void gradF32(double a, double b, double c, double e, double g, double[] out) {
            float z = (float) Math.exp(-(float) b * (float) a);
            float bz = (float) b * z;
            out[0] = -bz / (z + 1f) * g;
        }
    }

    /** Builder for {@link SoftMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, SoftMarginLoss> {
        private Builder() {}

        @Override
        public SoftMarginLoss build() {
            return new SoftMarginLoss(this);
        }
    }
}

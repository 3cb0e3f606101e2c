package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Huber loss between each element of {@code input} x and {@code target} y (PyTorch's {@code nn.HuberLoss}): a
 * squared term where the absolute error is below {@code delta}, a delta-scaled L1 term elsewhere.
 *
 * <p>Unreduced: {@code l_n = 0.5 (x_n - y_n)^2} if {@code |x_n - y_n| < delta}, else
 * {@code delta (|x_n - y_n| - 0.5 delta)}. Then {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum;
 * {@code none}: the {@code l_n} themselves. With {@code delta = 1} this is {@link SmoothL1Loss}; in general
 * {@code Huber(delta) = delta * SmoothL1(beta = delta)}. The gradient is {@code x_n - y_n} clamped to
 * {@code [-delta, delta]}.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}), {@code delta} (default 1.0; must be {@code > 0}, as
 * PyTorch requires; {@code +inf} gives half the squared error).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with input as in PyTorch (which warns when they
 * differ); output a scalar, or the broadcast shape for {@code none}. Gradients: input and target.
 *
 * <pre>{@code
 * HuberLoss huber = HuberLoss.builder().delta(0.5).build();
 * LossResult r = huber.forwardBackward(Tensor.of(new float[] {0, 2}), Tensor.of(new float[] {0.25f, 0}));
 * r.loss().item();          // (0.03125 + 0.875) / 2
 * r.gradInput();            // [-0.125, 0.25]
 * }</pre>
 */
public final class HuberLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final double delta;
    private final HuberError fn;

    private HuberLoss(Builder b) {
        super(LossBuilder.standard("HuberLoss", b.reduction), b.backend);
        this.delta = b.delta;
        this.fn = new HuberError(b.delta);
    }

    /** HuberLoss with PyTorch's defaults (reduction mean, delta 1.0). */
    public static HuberLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}, {@code delta}. */
    public static HuberLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN)).delta(o.getDouble("delta", 1.0));
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

    /** The threshold between the squared and the delta-scaled L1 term. */
    public double delta() {
        return delta;
    }

    @Override
    public String name() {
        return "HuberLoss";
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
        return builder().reduction(reduction).delta(delta).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    @Override
    public String toString() {
        return "HuberLoss(reduction=" + reduction.torchName() + ", delta=" + delta + ")";
    }

    /**
     * With {@code z = |a - b|}: {@code 0.5 z^2} if {@code z < delta}, else {@code delta (z - 0.5 delta)}. The
     * derivative in a is {@code a - b} clamped to {@code [-delta, delta]} (continuous, so the kink's side does not
     * matter); in b its negative. Float32 mirrors PyTorch's kernel, which casts delta to float.
     */
    static final class HuberError implements PointwiseFn {
        private final double delta;
        private final float deltaF;

        HuberError(double delta) {
            this.delta = delta;
            this.deltaF = (float) delta;
        }

        @Override
        public Kind kind() {
            return Kind.HUBER;
        }

        @Override
        public double parameter() {
            return delta;
        }

        @Override
        public String name() {
            return "huber_error(delta=" + delta + ")";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            double z = Math.abs(a - b);
            return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float z = Math.abs((float) a - (float) b);
            return z < deltaF ? 0.5f * z * z : deltaF * (z - 0.5f * deltaF);
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double x = a - b;
            double t = x <= -delta ? -delta * g : x >= delta ? delta * g : x * g;
            out[0] = t;
            out[1] = -t;
        }

        @Override
        public void gradF32(double a, double b, double c, double e, double g, double[] out) {
            float x = (float) a - (float) b;
            double t = x <= -deltaF ? -deltaF * g : x >= deltaF ? deltaF * g : x * g;
            out[0] = t;
            out[1] = -t;
        }
    }

    /** Builder for {@link HuberLoss}. */
    public static final class Builder extends LossBuilder<Builder, HuberLoss> {
        private double delta = 1.0;

        private Builder() {}

        /** PyTorch's {@code delta}: where the squared term turns into the delta-scaled L1 term; must be {@code > 0}. */
        public Builder delta(double delta) {
            if (!(delta > 0)) {
                throw new IllegalArgumentException("HuberLoss: delta must be > 0 (PyTorch rejects non-positive delta), got " + delta);
            }
            this.delta = delta;
            return this;
        }

        @Override
        public HuberLoss build() {
            return new HuberLoss(this);
        }
    }
}

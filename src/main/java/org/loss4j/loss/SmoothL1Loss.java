package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Smooth L1 loss between each element of {@code input} x and {@code target} y (PyTorch's {@code nn.SmoothL1Loss}):
 * a squared term where the absolute error is below {@code beta}, an L1 term elsewhere.
 *
 * <p>Unreduced: {@code l_n = 0.5 (x_n - y_n)^2 / beta} if {@code |x_n - y_n| < beta}, else
 * {@code |x_n - y_n| - 0.5 beta}. Then {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum;
 * {@code none}: the {@code l_n} themselves. With {@code beta = 0} it is exactly {@link L1Loss} (PyTorch calls
 * {@code l1_loss}, so the gradient at {@code x_n == y_n} is 0). {@code HuberLoss(delta) = delta * SmoothL1(beta =
 * delta)}. The gradient is {@code (x_n - y_n) / beta} clamped to {@code [-1, 1]}.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}), {@code beta} (default 1.0; must be {@code >= 0}, as
 * PyTorch requires; {@code +inf} gives 0).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with input as in PyTorch (which warns when they
 * differ); output a scalar, or the broadcast shape for {@code none}. Gradients: input and target.
 *
 * <pre>{@code
 * SmoothL1Loss sl1 = SmoothL1Loss.create();
 * LossResult r = sl1.forwardBackward(Tensor.of(new float[] {0, 3}), Tensor.of(new float[] {0.5f, 0}));
 * r.loss().item();          // (0.125 + 2.5) / 2
 * r.gradInput();            // [-0.25, 0.5]
 * }</pre>
 */
public final class SmoothL1Loss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final double beta;
    private final PointwiseFn fn;

    private SmoothL1Loss(Builder b) {
        super(LossBuilder.standard("SmoothL1Loss", b.reduction), b.backend);
        this.beta = b.beta;
        // PyTorch's F.smooth_l1_loss calls l1_loss for beta == 0 (forward and gradient)
        this.fn = b.beta == 0 ? L1Loss.AbsoluteError.INSTANCE : new SmoothL1Error(b.beta);
    }

    /** SmoothL1Loss with PyTorch's defaults (reduction mean, beta 1.0). */
    public static SmoothL1Loss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}, {@code beta}. */
    public static SmoothL1Loss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN)).beta(o.getDouble("beta", 1.0));
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

    /** The threshold between the squared and the L1 term. */
    public double beta() {
        return beta;
    }

    @Override
    public String name() {
        return "SmoothL1Loss";
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
        return builder().reduction(reduction).beta(beta).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    @Override
    public String toString() {
        return "SmoothL1Loss(reduction=" + reduction.torchName() + ", beta=" + beta + ")";
    }

    /**
     * With {@code z = |a - b|} and beta > 0: {@code 0.5 z^2 / beta} if {@code z < beta}, else {@code z - 0.5 beta}.
     * The derivative in a is -1 for {@code a - b <= -beta}, 1 for {@code a - b >= beta}, else {@code (a - b) / beta}
     * (PyTorch's kernel); in b its negative. Float32 mirrors PyTorch's kernel, which casts beta to float (a beta
     * that rounds to 0 in float then gives gradient -1 at a == b, as PyTorch's vectorized loop; its scalar tail
     * gives 0 there, so PyTorch itself depends on the tensor's length in that corner).
     */
    static final class SmoothL1Error implements PointwiseFn {
        private final double beta;
        private final float betaF;

        SmoothL1Error(double beta) {
            this.beta = beta;
            this.betaF = (float) beta;
        }

        @Override
        public Kind kind() {
            return Kind.SMOOTH_L1;
        }

        @Override
        public double parameter() {
            return beta;
        }

        @Override
        public String name() {
            return "smooth_l1_error(beta=" + beta + ")";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            double z = Math.abs(a - b);
            return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float z = Math.abs((float) a - (float) b);
            return z < betaF ? 0.5f * z * z / betaF : z - 0.5f * betaF;
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double x = a - b;
            double t = x <= -beta ? -g : x >= beta ? g : x * g / beta;
            out[0] = t;
            out[1] = -t;
        }

        @Override
        public void gradF32(double a, double b, double c, double e, double g, double[] out) {
            float x = (float) a - (float) b;
            double t = x <= -betaF ? -g : x >= betaF ? g : x * g / betaF;
            out[0] = t;
            out[1] = -t;
        }
    }

    /** Builder for {@link SmoothL1Loss}. */
    public static final class Builder extends LossBuilder<Builder, SmoothL1Loss> {
        private double beta = 1.0;

        private Builder() {}

        /** PyTorch's {@code beta}: where the squared term turns into the L1 term; must be {@code >= 0} (0 is L1Loss). */
        public Builder beta(double beta) {
            if (!(beta >= 0)) {
                throw new IllegalArgumentException("SmoothL1Loss: beta must be >= 0 (PyTorch rejects negative beta), got " + beta);
            }
            this.beta = beta;
            return this;
        }

        @Override
        public SmoothL1Loss build() {
            return new SmoothL1Loss(this);
        }
    }
}

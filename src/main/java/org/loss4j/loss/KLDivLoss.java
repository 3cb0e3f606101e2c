package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Kullback-Leibler divergence of {@code target} y from log-probabilities {@code input} x (PyTorch's
 * {@code nn.KLDivLoss}).
 *
 * <p>Unreduced: {@code l_n = y_n (log y_n - x_n)}, with {@code y log y = 0} where {@code y = 0} (PyTorch's
 * {@code xlogy}), so a target of 0 contributes 0; with {@code log_target}, y holds log-probabilities and
 * {@code l_n = exp(y_n) (y_n - x_n)}. Then {@code mean}: the mean over all elements (not the true KL divergence);
 * {@code batchmean}: the sum divided by {@code input.size(0)} (the mathematical KL divergence per sample; a 0-dim
 * input is not divided); {@code sum}: the sum; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}; {@code batchmean} only here); {@code log_target}
 * (default false).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with it as in PyTorch; output a scalar, or the
 * broadcast shape for {@code none}. Gradients: input {@code -y} ({@code -exp(y)} with log_target) and target
 * {@code log y + 1 - x} ({@code exp(y) (y - x + 1)}); like PyTorch's, the target gradient is NaN where y = 0.
 *
 * <pre>{@code
 * KLDivLoss kl = KLDivLoss.builder().reduction(Reduction.BATCHMEAN).build();
 * Tensor logP = Tensor.of(new double[] {Math.log(0.25), Math.log(0.75)}, 1, 2);
 * Tensor q = Tensor.of(new double[] {0.5, 0.5}, 1, 2);
 * kl.forward(logP, q).item();   // 0.5 log 2 + 0.5 log(2/3) = 0.1438
 * }</pre>
 */
public final class KLDivLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final boolean logTarget;

    private KLDivLoss(Builder b) {
        super(b.reduction, b.backend);
        this.logTarget = b.logTarget;
    }

    /** KLDivLoss with PyTorch's defaults (reduction mean, log_target false). */
    public static KLDivLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}, {@code log_target}. */
    public static KLDivLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN)).logTarget(o.getBoolean("log_target", false));
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

    /** Whether the target holds log-probabilities. */
    public boolean logTarget() {
        return logTarget;
    }

    @Override
    public String name() {
        return "KLDivLoss";
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
        return "KLDivLoss(reduction=" + reduction.torchName() + ", log_target=" + logTarget + ")";
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().reduction(reduction).logTarget(logTarget).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return logTarget ? LogTargetDivergence.INSTANCE : Divergence.INSTANCE;
    }

    /** {@code xlogy(b, b) - b a}; d/da = -b, d/db = xlogy(b != 0, b) + b / b - a (NaN at b = 0, as autograd's). */
    static final class Divergence implements PointwiseFn {
        static final Divergence INSTANCE = new Divergence();

        @Override
        public Kind kind() {
            return Kind.KL_DIV;
        }

        @Override
        public String name() {
            return "kl_div";
        }

        @Override
        public int arity() {
            return 2;
        }

        /** PyTorch's {@code xlogy(y, y)}: 0 where y = 0 (NaN stays NaN). */
        private static double xlogx(double y) {
            return y == 0 ? 0 : y * Math.log(y);
        }

        @Override
        public double value(double a, double b, double c, double d) {
            return xlogx(b) - b * a;
        }

        @Override
        public double valueF32(double a, double b, double c, double d) {
            float x = (float) a;
            float y = (float) b;
            float xl = y == 0 ? 0f : y * (float) Math.log(y);
            return xl - y * x;
        }

        @Override
        public void grad(double a, double b, double c, double d, double g, double[] out) {
            out[0] = -b * g;
            double logB = b == 0 ? 0 : Math.log(b);
            out[1] = g * logB + g * b / b - g * a;
        }
    }

    /** {@code exp(b) (b - a)}; d/da = -exp(b), d/db = exp(b) (b - a) + exp(b). */
    static final class LogTargetDivergence implements PointwiseFn {
        static final LogTargetDivergence INSTANCE = new LogTargetDivergence();

        @Override
        public String name() {
            return "kl_div_log_target";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double d) {
            return Math.exp(b) * (b - a);
        }

        @Override
        public double valueF32(double a, double b, double c, double d) {
            float x = (float) a;
            float y = (float) b;
            return (float) Math.exp(y) * (y - x);
        }

        @Override
        public void grad(double a, double b, double c, double d, double g, double[] out) {
            double e = Math.exp(b);
            out[0] = -e * g;
            out[1] = g * (b - a) * e + g * e;
        }
    }

    /** Builder for {@link KLDivLoss}. */
    public static final class Builder extends LossBuilder<Builder, KLDivLoss> {
        private boolean logTarget;

        private Builder() {}

        /** PyTorch's {@code log_target}: whether the target holds log-probabilities; default false. */
        public Builder logTarget(boolean logTarget) {
            this.logTarget = logTarget;
            return this;
        }

        /** PyTorch's {@code reduction}: {@code "none"}, {@code "batchmean"}, {@code "sum"} or {@code "mean"} (default). */
        @Override
        public Builder reduction(String reduction) {
            return super.reduction(reduction);
        }

        @Override
        public KLDivLoss build() {
            return new KLDivLoss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Negative log likelihood of {@code target} y under a Poisson distribution with rate given by {@code input} x
 * (PyTorch's {@code nn.PoissonNLLLoss}).
 *
 * <p>Unreduced: {@code l_n = exp(x_n) - y_n x_n} (x is the log-rate, {@code log_input} true), or
 * {@code l_n = x_n - y_n log(x_n + eps)} (x is the rate, {@code log_input} false). With {@code full}, the
 * Stirling approximation of {@code log(y!)}, {@code y log y - y + 0.5 log(2 pi y)}, is added where {@code y > 1}
 * (0 elsewhere). Then {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum; {@code none}: the
 * {@code l_n} themselves.
 *
 * <p>Arguments: {@code log_input} (default true); {@code full} (default false); {@code eps} (default 1e-8, used
 * only when log_input is false); {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with it as in PyTorch; output a scalar, or the
 * broadcast shape for {@code none}. Gradients: input ({@code exp(x) - y}, or {@code 1 - y / (x + eps)}) and target
 * ({@code -x}, or {@code -log(x + eps)}; plus {@code log y + 0.5 / y} where full adds the Stirling term). Like
 * PyTorch's, the target gradient with {@code full} is NaN where {@code y <= 0}.
 *
 * <pre>{@code
 * PoissonNLLLoss loss = PoissonNLLLoss.create();
 * loss.forward(Tensor.of(new double[] {0, 1}), Tensor.of(new double[] {1, 2})).item();  // (1 + e - 2) / 2 = 0.8591
 * }</pre>
 */
public final class PoissonNLLLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private final boolean logInput;
    private final boolean full;
    private final double eps;
    private final PoissonTerm fn;

    private PoissonNLLLoss(Builder b) {
        super(LossBuilder.standard("PoissonNLLLoss", b.reduction), b.backend);
        this.logInput = b.logInput;
        this.full = b.full;
        this.eps = b.eps;
        this.fn = new PoissonTerm(logInput, full, eps);
    }

    /** PoissonNLLLoss with PyTorch's defaults (log_input true, full false, eps 1e-8, reduction mean). */
    public static PoissonNLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code log_input}, {@code full}, {@code eps}, {@code reduction}. */
    public static PoissonNLLLoss fromOptions(LossOptions o) {
        Builder b = builder().logInput(o.getBoolean("log_input", true)).full(o.getBoolean("full", false))
                .eps(o.getDouble("eps", 1e-8)).reduction(o.reduction(Reduction.MEAN));
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

    /** Whether the input is the log of the rate. */
    public boolean logInput() {
        return logInput;
    }

    /** Whether the Stirling term is added. */
    public boolean full() {
        return full;
    }

    /** Added to the rate before its log when log_input is false. */
    public double eps() {
        return eps;
    }

    @Override
    public String name() {
        return "PoissonNLLLoss";
    }

    /**
     * PyTorch's functional names, {@code (input, target)}; {@code nn.PoissonNLLLoss.forward} calls the first one
     * {@code log_input}, which is also the name of an option.
     */
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
        return "PoissonNLLLoss(log_input=" + logInput + ", full=" + full + ", eps=" + eps + ", reduction="
                + reduction.torchName() + ")";
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().logInput(logInput).full(full).eps(eps).reduction(reduction).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    /** ATen's {@code poisson_nll_loss} term; its gradients are autograd's through that composite formula. */
    static final class PoissonTerm implements PointwiseFn {
        private static final double TWO_PI = 2 * Math.PI;

        private final boolean logInput;
        private final boolean full;
        private final double eps;

        PoissonTerm(boolean logInput, boolean full, double eps) {
            this.logInput = logInput;
            this.full = full;
            this.eps = eps;
        }

        @Override
        public String name() {
            return "poisson_nll" + (logInput ? "" : "(rate)") + (full ? "+stirling" : "");
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double x, double y, double c, double d) {
            double v = logInput ? Math.exp(x) - y * x : x - y * Math.log(x + eps);
            // masked_fill(target <= 1, 0): a NaN target keeps its NaN term
            if (full && !(y <= 1)) v += y * Math.log(y) - y + 0.5 * Math.log(TWO_PI * y);
            return v;
        }

        @Override
        public double valueF32(double a, double b, double c, double d) {
            float x = (float) a;
            float y = (float) b;
            float v = logInput ? (float) Math.exp(x) - y * x : x - y * (float) Math.log(x + (float) eps);
            if (full && !(y <= 1)) {
                float stirling = y * (float) Math.log(y) - y + 0.5f * (float) Math.log((float) TWO_PI * y);
                v += stirling;
            }
            return v;
        }

        @Override
        public void grad(double x, double y, double c, double d, double g, double[] out) {
            double gt;
            if (logInput) {
                out[0] = g * (Math.exp(x) - y);
                gt = -g * x;
            } else {
                out[0] = g - g * y / (x + eps);
                gt = -g * Math.log(x + eps);
            }
            if (full) {
                if (!(y <= 1)) {
                    gt += g * (Math.log(y) + 0.5 / y);
                } else if (!(y > 0)) {
                    // autograd through the masked Stirling term: 0 * log(0) and 0 / 0 give NaN
                    gt = Double.NaN;
                }
            }
            out[1] = gt;
        }
    }

    /** Builder for {@link PoissonNLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, PoissonNLLLoss> {
        private boolean logInput = true;
        private boolean full;
        private double eps = 1e-8;

        private Builder() {}

        /** PyTorch's {@code log_input}: whether the input is the log of the rate; default true. */
        public Builder logInput(boolean logInput) {
            this.logInput = logInput;
            return this;
        }

        /** PyTorch's {@code full}: add the Stirling approximation of {@code log(target!)}; default false. */
        public Builder full(boolean full) {
            this.full = full;
            return this;
        }

        /** PyTorch's {@code eps}: added to the rate before its log when log_input is false; finite, >= 0; default 1e-8. */
        public Builder eps(double eps) {
            this.eps = Check.nonNegative("eps", eps);
            return this;
        }

        @Override
        public PoissonNLLLoss build() {
            return new PoissonNLLLoss(this);
        }
    }
}

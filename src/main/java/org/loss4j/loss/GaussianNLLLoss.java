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
 * Negative log likelihood of {@code target} y under Gaussians with means {@code input} x and variances {@code var}
 * v (PyTorch's {@code nn.GaussianNLLLoss}).
 *
 * <p>Unreduced: {@code l_n = 0.5 (log max(v_n, eps) + (x_n - y_n)^2 / max(v_n, eps))}, plus
 * {@code 0.5 log(2 pi)} with {@code full}. The clamp at eps is invisible to the gradient, as in PyTorch (which
 * clamps under {@code no_grad}): var's gradient is the formula's, taken at the clamped value. Then {@code mean}:
 * the mean of all {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code full} (default false); {@code eps} (default 1e-6); {@code reduction} (default
 * {@code mean}).
 *
 * <p>Shapes: input {@code (N, *)} or {@code (*)}; target broadcastable with input (usually the same shape); var
 * input's shape (heteroscedastic), or input's shape with exactly one dimension of size 1, or input's shape without
 * its last dimension (unsqueezed at the end), as PyTorch accepts; a single variance for a 1-D input is a 0-dim or
 * {@code (1)} var. Output a scalar, or the broadcast shape for {@code none}. Negative variances and other var
 * shapes throw, as in PyTorch. Gradients: input {@code (x - y) / v}, target {@code -(x - y) / v} and var
 * {@code 0.5 (1 / v - (x - y)^2 / v^2)} with {@code v = max(var, eps)}.
 *
 * <pre>{@code
 * GaussianNLLLoss loss = GaussianNLLLoss.create();
 * Tensor x = Tensor.of(new double[] {1, 2}), y = Tensor.of(new double[] {0, 2}), v = Tensor.of(new double[] {1, 4});
 * loss.forward(x, y, v).item();   // (0.5 (0 + 1) + 0.5 (log 4 + 0)) / 2 = 0.5966
 * }</pre>
 */
public final class GaussianNLLLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target", "var");
    private static final Set<String> DIFF = Set.of("input", "target", "var");

    private final boolean full;
    private final double eps;
    private final GaussianTerm fn;

    private GaussianNLLLoss(Builder b) {
        super(LossBuilder.standard("GaussianNLLLoss", b.reduction), b.backend);
        this.full = b.full;
        this.eps = b.eps;
        this.fn = new GaussianTerm(full, eps);
    }

    /** GaussianNLLLoss with PyTorch's defaults (full false, eps 1e-6, reduction mean). */
    public static GaussianNLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code full}, {@code eps}, {@code reduction}. */
    public static GaussianNLLLoss fromOptions(LossOptions o) {
        Builder b = builder().full(o.getBoolean("full", false)).eps(o.getDouble("eps", 1e-6))
                .reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor input, Tensor target, Tensor var) {
        return super.forward(input, target, var);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor input, Tensor target, Tensor var) {
        return super.forwardBackward(input, target, var);
    }

    /** Whether the constant {@code 0.5 log(2 pi)} is added. */
    public boolean full() {
        return full;
    }

    /** The lower clamp of var. */
    public double eps() {
        return eps;
    }

    @Override
    public String name() {
        return "GaussianNLLLoss";
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
        return "GaussianNLLLoss(full=" + full + ", eps=" + eps + ", reduction=" + reduction.torchName() + ")";
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().full(full).eps(eps).reduction(reduction).backend(backend).build();
    }

    /** PyTorch's var checks: no negative entry, then one of the accepted shapes (a short var is unsqueezed). */
    @Override
    void validate(Call call) {
        Tensor input = call.args[0];
        Tensor var = call.args[2];
        long n = var.numel();
        for (long i = 0; i < n; i++) {
            double v = var.getDouble(i);
            if (v < 0) {
                throw new IllegalArgumentException("GaussianNLLLoss: var has negative entry/entries: " + v
                        + " at position " + i + " of var " + Check.shape(var));
            }
        }
        if (sameShape(input, var)) return;
        long[] in = input.shape();
        long[] vs = var.shape();
        if (Arrays.equals(in, vs)) return;
        if (in.length >= 1 && Arrays.equals(Arrays.copyOf(in, in.length - 1), vs)) {
            // homoscedastic, one dimension short: (N, *, D) with var (N, *) -> var (N, *, 1)
            call.args[2] = var.reshape(append1(vs));
            return;
        }
        if (in.length == vs.length) {
            // PyTorch: the sizes of var where it differs from input must add up to 1 (one dimension of size 1)
            long mismatched = 0;
            for (int d = 0; d < in.length; d++) {
                if (in[d] != vs[d]) mismatched += vs[d];
            }
            if (mismatched == 1) return;
        }
        throw new IllegalArgumentException("GaussianNLLLoss: var is of incorrect size " + Check.shape(var)
                + " for input " + Check.shape(input) + ": var must have input's shape, or it with one dimension of size 1,"
                + " or it without the last dimension");
    }

    private static long[] append1(long[] shape) {
        long[] s = Arrays.copyOf(shape, shape.length + 1);
        s[shape.length] = 1;
        return s;
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    /**
     * {@code 0.5 (log v + (a - b)^2 / v) [+ 0.5 log(2 pi)]} with {@code v = max(c, eps)}; the gradients are the
     * formula's at v (the clamp passes the gradient through, like PyTorch's no_grad clamp).
     */
    static final class GaussianTerm implements PointwiseFn {
        private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

        private final boolean full;
        private final double eps;

        GaussianTerm(boolean full, double eps) {
            this.full = full;
            this.eps = eps;
        }

        @Override
        public String name() {
            return "gaussian_nll" + (full ? "+const" : "");
        }

        @Override
        public int arity() {
            return 3;
        }

        /** max(c, eps), keeping NaN as PyTorch's clamp does. */
        private static double clamp(double c, double eps) {
            return c < eps ? eps : c;
        }

        @Override
        public double value(double a, double b, double c, double d) {
            double v = clamp(c, eps);
            double diff = a - b;
            double l = 0.5 * (Math.log(v) + diff * diff / v);
            return full ? l + HALF_LOG_TWO_PI : l;
        }

        @Override
        public double valueF32(double a, double b, double c, double d) {
            float v = (float) c < (float) eps ? (float) eps : (float) c;
            float diff = (float) a - (float) b;
            float l = 0.5f * ((float) Math.log(v) + diff * diff / v);
            return full ? l + (float) HALF_LOG_TWO_PI : l;
        }

        @Override
        public void grad(double a, double b, double c, double d, double g, double[] out) {
            double v = clamp(c, eps);
            double diff = a - b;
            double gx = g * diff / v;
            out[0] = gx;
            out[1] = -gx;
            out[2] = 0.5 * g * (1 / v - diff * diff / (v * v));
        }
    }

    /** Builder for {@link GaussianNLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, GaussianNLLLoss> {
        private boolean full;
        private double eps = 1e-6;

        private Builder() {}

        /** PyTorch's {@code full}: add the constant {@code 0.5 log(2 pi)}; default false. */
        public Builder full(boolean full) {
            this.full = full;
            return this;
        }

        /** PyTorch's {@code eps}: the lower clamp of var; finite, >= 0; default 1e-6. */
        public Builder eps(double eps) {
            this.eps = Check.nonNegative("eps", eps);
            return this;
        }

        @Override
        public GaussianNLLLoss build() {
            return new GaussianNLLLoss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Mean absolute error between each element of {@code input} x and {@code target} y (PyTorch's {@code nn.L1Loss}).
 *
 * <p>Unreduced: {@code l_n = |x_n - y_n|}. Then
 * {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves.
 * The gradient is {@code sgn(x_n - y_n)}: 0 at {@code x_n == y_n} (and for nan), as PyTorch's.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with input as in PyTorch (which warns when they
 * differ); output a scalar, or the broadcast shape for {@code none}. Gradients: input and target.
 *
 * <pre>{@code
 * L1Loss l1 = L1Loss.create();
 * LossResult r = l1.forwardBackward(Tensor.of(new float[] {1, 2, 3}), Tensor.of(new float[] {1, 3, 5}));
 * r.loss().item();          // 1
 * r.gradInput();            // [0, -1/3, -1/3]
 * }</pre>
 */
public final class L1Loss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private L1Loss(Builder b) {
        super(LossBuilder.standard("L1Loss", b.reduction), b.backend);
    }

    /** L1Loss with PyTorch's defaults (reduction mean). */
    public static L1Loss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}. */
    public static L1Loss fromOptions(LossOptions o) {
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
        return "L1Loss";
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
        return AbsoluteError.INSTANCE;
    }

    /**
     * {@code |a - b|}; d/da = sgn(a - b), d/db = -sgn(a - b), 0 where a == b (PyTorch's abs backward). Also
     * SmoothL1Loss's term for beta = 0.
     */
    static final class AbsoluteError implements PointwiseFn {
        static final AbsoluteError INSTANCE = new AbsoluteError();

        @Override
        public Kind kind() {
            return Kind.ABSOLUTE_ERROR;
        }

        @Override
        public String name() {
            return "absolute_error";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            return Math.abs(a - b);
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            return Math.abs((float) a - (float) b);
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            // PyTorch's sgn: 0 at a == b and for nan; the sign of a float difference is the sign of the exact one,
            // so no float32 variant is needed
            double d = a - b;
            double t = (d > 0 ? 1 : d < 0 ? -1 : 0) * g;
            out[0] = t;
            out[1] = -t;
        }
    }

    /** Builder for {@link L1Loss}. */
    public static final class Builder extends LossBuilder<Builder, L1Loss> {
        private Builder() {}

        @Override
        public L1Loss build() {
            return new L1Loss(this);
        }
    }
}

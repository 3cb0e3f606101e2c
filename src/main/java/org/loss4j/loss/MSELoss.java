package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Mean squared error between each element of {@code input} x and {@code target} y (PyTorch's {@code nn.MSELoss}).
 *
 * <p>Unreduced: {@code l_n = (x_n - y_n)^2}. Then
 * {@code mean}: the mean of all {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable to input's shape as in PyTorch (which warns when
 * they differ); output a scalar, or the broadcast shape for {@code none}. Gradients: input and target.
 *
 * <pre>{@code
 * MSELoss mse = MSELoss.create();
 * LossResult r = mse.forwardBackward(Tensor.of(new float[] {1, 2, 3}), Tensor.of(new float[] {1, 2, 5}));
 * r.loss().item();          // 4/3
 * r.gradInput();            // [0, 0, -4/3]
 * }</pre>
 */
public final class MSELoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private MSELoss(Builder b) {
        super(LossBuilder.standard("MSELoss", b.reduction), b.backend);
    }

    /** MSELoss with PyTorch's defaults (reduction mean). */
    public static MSELoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}. */
    public static MSELoss fromOptions(LossOptions o) {
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
        return "MSELoss";
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
        return SquaredError.INSTANCE;
    }

    /** {@code (a - b)^2}; d/da = 2 (a - b), d/db = -2 (a - b). */
    static final class SquaredError implements PointwiseFn {
        static final SquaredError INSTANCE = new SquaredError();

        @Override
        public Kind kind() {
            return Kind.SQUARED_ERROR;
        }

        @Override
        public String name() {
            return "squared_error";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            double d = a - b;
            return d * d;
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float d = (float) a - (float) b;
            return d * d;
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double t = 2 * (a - b) * g;
            out[0] = t;
            out[1] = -t;
        }
    }

    /** Builder for {@link MSELoss}. */
    public static final class Builder extends LossBuilder<Builder, MSELoss> {
        private Builder() {}

        @Override
        public MSELoss build() {
            return new MSELoss(this);
        }
    }
}

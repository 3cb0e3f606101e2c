package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Ranking hinge loss for pairs {@code input1} x1, {@code input2} x2 with {@code target} y of 1 (x1 should rank
 * higher) or -1 (x2 should) (PyTorch's {@code nn.MarginRankingLoss}).
 *
 * <p>Unreduced: {@code l_n = max(0, -y_n (x1_n - x2_n) + margin)}. Then {@code mean}: the mean of all {@code l_n};
 * {@code sum}: their sum; {@code none}: the {@code l_n} themselves. At the kink ({@code -y (x1 - x2) + margin == 0})
 * the gradient flows, as in PyTorch ({@code clamp_min}'s gradient is taken where the value is {@code >= 0}).
 *
 * <p>Arguments: {@code margin} (default 0.0; any value but nan), {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input1, input2, target {@code (N)} or {@code ()}; more generally any shapes with the same number of
 * dimensions that broadcast together (PyTorch checks the number of dimensions, then broadcasts); output a scalar,
 * or the broadcast shape for {@code none}. Gradients: input1, input2 and target (PyTorch differentiates a floating
 * target: {@code -(x1 - x2)} where the hinge is active).
 *
 * <pre>{@code
 * MarginRankingLoss mr = MarginRankingLoss.builder().margin(0.5).build();
 * LossResult r = mr.forwardBackward(Tensor.of(new float[] {1, 3}), Tensor.of(new float[] {2, 1}),
 *         Tensor.of(new float[] {1, 1}));
 * r.loss().item();          // (1.5 + 0) / 2
 * r.grad("input1");         // [-0.5, 0]
 * }</pre>
 */
public final class MarginRankingLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input1", "input2", "target");
    private static final Set<String> DIFF = Set.of("input1", "input2", "target");

    private final double margin;
    private final RankingHinge fn;

    private MarginRankingLoss(Builder b) {
        super(LossBuilder.standard("MarginRankingLoss", b.reduction), b.backend);
        this.margin = b.margin;
        this.fn = new RankingHinge(b.margin);
    }

    /** MarginRankingLoss with PyTorch's defaults (margin 0, reduction mean). */
    public static MarginRankingLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code margin}, {@code reduction}. */
    public static MarginRankingLoss fromOptions(LossOptions o) {
        Builder b = builder().margin(o.getDouble("margin", 0.0)).reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor input1, Tensor input2, Tensor target) {
        return super.forward(input1, input2, target);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor input1, Tensor input2, Tensor target) {
        return super.forwardBackward(input1, input2, target);
    }

    /** The margin. */
    public double margin() {
        return margin;
    }

    @Override
    public String name() {
        return "MarginRankingLoss";
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
        return builder().margin(margin).reduction(reduction).backend(backend).build();
    }

    @Override
    PointwiseFn fn() {
        return fn;
    }

    @Override
    public String toString() {
        return "MarginRankingLoss(margin=" + margin + ", reduction=" + reduction.torchName() + ")";
    }

    /** PyTorch's F.margin_ranking_loss requires the same number of dimensions before broadcasting. */
    @Override
    void validate(Call call) {
        Tensor x1 = call.args[0];
        Tensor x2 = call.args[1];
        Tensor y = call.args[2];
        if (x1.dim() != x2.dim() || x1.dim() != y.dim()) {
            throw new IllegalArgumentException("input1, input2 and target must have the same number of dimensions, got input1 "
                    + Check.shape(x1) + ", input2 " + Check.shape(x2) + ", target " + Check.shape(y));
        }
    }

    /**
     * {@code max(0, -c (a - b) + margin)} over (a, b, c) = (input1, input2, target). Where the unclamped value is
     * {@code >= 0} (nan is not): d/da = -c, d/db = c, d/dc = -(a - b); elsewhere 0, except that the target's gradient
     * is {@code -(0 * (a - b))}, nan for an infinite difference, as PyTorch's chain of mul and clamp_min gives.
     * Float32 decides the kink in float arithmetic, as PyTorch.
     */
    static final class RankingHinge implements PointwiseFn {
        private final double margin;
        private final float marginF;

        RankingHinge(double margin) {
            this.margin = margin;
            this.marginF = (float) margin;
        }

        @Override
        public Kind kind() {
            return Kind.RANKING_HINGE;
        }

        @Override
        public double parameter() {
            return margin;
        }

        @Override
        public String name() {
            return "ranking_hinge(margin=" + margin + ")";
        }

        @Override
        public int arity() {
            return 3;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            return Math.max(0.0, -c * (a - b) + margin);
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float d = (float) a - (float) b;
            return Math.max(0f, -(float) c * d + marginF);
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            double d = a - b;
            double gm = -c * d + margin >= 0 ? g : 0;
            write(gm, c, d, out);
        }

        @Override
        public void gradF32(double a, double b, double c, double e, double g, double[] out) {
            float d = (float) a - (float) b;
            double gm = -(float) c * d + marginF >= 0 ? g : 0;
            write(gm, c, d, out);
        }

        private static void write(double gm, double c, double d, double[] out) {
            double gd = gm * -c;
            out[0] = gd;
            out[1] = -gd;
            out[2] = -(gm * d);
        }
    }

    /** Builder for {@link MarginRankingLoss}. */
    public static final class Builder extends LossBuilder<Builder, MarginRankingLoss> {
        private double margin = 0.0;

        private Builder() {}

        /** PyTorch's {@code margin} (default 0); any value but nan. */
        public Builder margin(double margin) {
            if (Double.isNaN(margin)) {
                throw new IllegalArgumentException("MarginRankingLoss: margin must be a number, got NaN");
            }
            this.margin = margin;
            return this;
        }

        @Override
        public MarginRankingLoss build() {
            return new MarginRankingLoss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Hinge loss for similar ({@code target} y = 1) and dissimilar (y = -1) pairs given a distance-like {@code input} x
 * (PyTorch's {@code nn.HingeEmbeddingLoss}).
 *
 * <p>Unreduced: {@code l_n = x_n} if {@code y_n = 1}, {@code max(0, margin - x_n)} if {@code y_n = -1}. PyTorch's
 * implementation is {@code where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0)}, so any other target value
 * gives the sum of both terms, {@code max(0, margin - x_n) + x_n}; loss4j does the same. Then {@code mean}: the mean
 * of all {@code l_n}; {@code sum}: their sum; {@code none}: the {@code l_n} themselves. At the kink
 * ({@code x_n == margin}) the hinge's gradient flows (-1), as in PyTorch.
 *
 * <p>Arguments: {@code margin} (default 1.0; any value but nan), {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (*)}, target {@code (*)} broadcastable with input (PyTorch broadcasts); output a scalar,
 * or the broadcast shape for {@code none}. Gradients: input only (the target enters through comparisons). Unlike
 * PyTorch, an integer target is rejected: loss4j never converts dtypes silently.
 *
 * <pre>{@code
 * HingeEmbeddingLoss he = HingeEmbeddingLoss.create();
 * LossResult r = he.forwardBackward(Tensor.of(new float[] {0.3f, 0.25f}), Tensor.of(new float[] {1, -1}));
 * r.loss().item();          // (0.3 + 0.75) / 2
 * r.gradInput();            // [0.5, -0.5]
 * }</pre>
 */
public final class HingeEmbeddingLoss extends PointwiseLoss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    private final double margin;
    private final EmbeddingHinge fn;

    private HingeEmbeddingLoss(Builder b) {
        super(LossBuilder.standard("HingeEmbeddingLoss", b.reduction), b.backend);
        this.margin = b.margin;
        this.fn = new EmbeddingHinge(b.margin);
    }

    /** HingeEmbeddingLoss with PyTorch's defaults (margin 1.0, reduction mean). */
    public static HingeEmbeddingLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code margin}, {@code reduction}. */
    public static HingeEmbeddingLoss fromOptions(LossOptions o) {
        Builder b = builder().margin(o.getDouble("margin", 1.0)).reduction(o.reduction(Reduction.MEAN));
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

    /** The margin. */
    public double margin() {
        return margin;
    }

    @Override
    public String name() {
        return "HingeEmbeddingLoss";
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
        return "HingeEmbeddingLoss(margin=" + margin + ", reduction=" + reduction.torchName() + ")";
    }

    /**
     * {@code (b != 1 ? max(0, margin - a) : 0) + (b != -1 ? a : 0)} over (a, b) = (input, target). d/da: -1 from
     * the hinge where {@code b != 1} and {@code margin - a >= 0} (nan is not), plus 1 where {@code b != -1}.
     * Float32 computes {@code margin - a} in float, as PyTorch.
     */
    static final class EmbeddingHinge implements PointwiseFn {
        private final double margin;
        private final float marginF;

        EmbeddingHinge(double margin) {
            this.margin = margin;
            this.marginF = (float) margin;
        }

        @Override
        public Kind kind() {
            return Kind.EMBEDDING_HINGE;
        }

        @Override
        public double parameter() {
            return margin;
        }

        @Override
        public String name() {
            return "embedding_hinge(margin=" + margin + ")";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double e) {
            double hinge = b != 1 ? Math.max(0.0, margin - a) : 0.0;
            double self = b != -1 ? a : 0.0;
            return hinge + self;
        }

        @Override
        public double valueF32(double a, double b, double c, double e) {
            float hinge = b != 1 ? Math.max(0f, marginF - (float) a) : 0f;
            float self = b != -1 ? (float) a : 0f;
            return hinge + self;
        }

        @Override
        public void grad(double a, double b, double c, double e, double g, double[] out) {
            out[0] = (b != 1 && margin - a >= 0 ? -g : 0) + (b != -1 ? g : 0);
        }

        @Override
        public void gradF32(double a, double b, double c, double e, double g, double[] out) {
            out[0] = (b != 1 && marginF - (float) a >= 0 ? -g : 0) + (b != -1 ? g : 0);
        }
    }

    /** Builder for {@link HingeEmbeddingLoss}. */
    public static final class Builder extends LossBuilder<Builder, HingeEmbeddingLoss> {
        private double margin = 1.0;

        private Builder() {}

        /** PyTorch's {@code margin} (default 1); any value but nan. */
        public Builder margin(double margin) {
            if (Double.isNaN(margin)) {
                throw new IllegalArgumentException("HingeEmbeddingLoss: margin must be a number, got NaN");
            }
            this.margin = margin;
            return this;
        }

        @Override
        public HingeEmbeddingLoss build() {
            return new HingeEmbeddingLoss(this);
        }
    }
}

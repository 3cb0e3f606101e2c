package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.MarginOps;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Embedding loss on the cosine similarity of {@code input1} and {@code input2} with labels {@code target} of 1 or -1
 * (PyTorch's {@code nn.CosineEmbeddingLoss}).
 *
 * <p>For each sample: {@code loss = 1 - cos(x1, x2)} if {@code y = 1}, {@code max(0, cos(x1, x2) - margin)} if
 * {@code y = -1}, and 0 for any other label (as PyTorch, which selects with {@code target == 1} and
 * {@code target == -1}). As in PyTorch, {@code cos(x1, x2) = <x1, x2> / sqrt((|x1|^2 + eps) (|x2|^2 + eps))} with
 * PyTorch's {@code EPSILON}, 1e-12 as a float32 constant, so a zero vector has cosine 0; in float32 the product of
 * the squared norms overflows to inf (cosine 0) for norms above about 1.8e19, exactly as PyTorch. The gradient at
 * {@code cos = margin} for {@code y = -1} is that of {@code cos - margin} (PyTorch's {@code clamp_min} passes it).
 * Then {@code mean}: the mean over samples (nan for an empty batch); {@code sum}: their sum; {@code none}: one loss
 * per sample.
 *
 * <p>Arguments: {@code margin} (default 0.0; PyTorch suggests -1 to 1, any non-NaN value is accepted),
 * {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input1 {@code (N, D)} or {@code (D)}; input2 the same shape as input1 (loss4j does not broadcast
 * them); target {@code (N)} or {@code ()} respectively, of any dtype (only its values 1 and -1 matter); output a
 * scalar, or the target's shape for {@code none}. Gradients: input1, input2 (PyTorch gives none for target).
 *
 * <pre>{@code
 * CosineEmbeddingLoss loss = CosineEmbeddingLoss.create();
 * Tensor a = Tensor.of(new float[] {1, 0, 0, 1}, 2, 2);
 * Tensor b = Tensor.of(new float[] {1, 0, 1, 0}, 2, 2);
 * Tensor y = Tensor.of(new float[] {1, -1});
 * LossResult r = loss.forwardBackward(a, b, y);
 * r.loss().item();                 // (0 + 0) / 2 = 0
 * r.grad("input1");                // gradients of input1 and input2
 * }</pre>
 */
public final class CosineEmbeddingLoss extends Loss {

    private static final List<String> ARGS = List.of("input1", "input2", "target");
    private static final Set<String> DIFF = Set.of("input1", "input2");

    /**
     * PyTorch's {@code EPSILON} added to the squared norms in {@code cosine_embedding_loss}: a C++ {@code float}
     * constant, so float64 inputs see 1e-12 rounded to float32 (9.99999996e-13); it matters next to zero vectors.
     */
    static final double EPSILON = (float) 1e-12;

    private final double margin;

    private CosineEmbeddingLoss(Builder b) {
        super(LossBuilder.standard("CosineEmbeddingLoss", b.reduction), b.backend);
        this.margin = b.margin;
    }

    /** CosineEmbeddingLoss with PyTorch's defaults (margin 0.0, reduction mean). */
    public static CosineEmbeddingLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code margin}, {@code reduction}. */
    public static CosineEmbeddingLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN)).margin(o.getDouble("margin", 0.0));
        o.finish();
        return b.build();
    }

    public double margin() {
        return margin;
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor input1, Tensor input2, Tensor target) {
        return super.forward(input1, input2, target);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor input1, Tensor input2, Tensor target) {
        return super.forwardBackward(input1, input2, target);
    }

    @Override
    public String name() {
        return "CosineEmbeddingLoss";
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
        return builder().reduction(reduction).backend(backend).margin(margin).build();
    }

    @Override
    List<String> opGroups() {
        return List.of("margin", "pointwise");
    }

    @Override
    public String toString() {
        return "CosineEmbeddingLoss(margin=" + margin + ", reduction=" + reduction.torchName() + ")";
    }

    @Override
    void compute(Call call) {
        Tensor x1 = Check.floating("input1", call.args[0]);
        Tensor x2 = Check.floating("input2", call.args[1]);
        Check.sameDtype("input1", x1, "input2", x2);
        Tensor target = Check.present("target", call.args[2]);
        int td = target.dim();
        if (td > 1) {
            throw new IllegalArgumentException("target must be 0D or 1D (multi-target not supported), got shape "
                    + Check.shape(target));
        }
        if (td == 1 && (x1.dim() != 2 || x2.dim() != 2)) {
            throw new IllegalArgumentException("1D target tensor expects 2D input tensors, but found input1 "
                    + Check.shape(x1) + " and input2 " + Check.shape(x2));
        }
        if (td == 0 && (x1.dim() != 1 || x2.dim() != 1)) {
            throw new IllegalArgumentException("0D target tensor expects 1D input tensors, but found input1 "
                    + Check.shape(x1) + " and input2 " + Check.shape(x2));
        }
        Check.sameShape("input1", x1, "input2", x2);
        long rows = td == 0 ? 1 : x1.size(0);
        long width = x1.size(x1.dim() - 1);
        if (target.numel() != rows) {
            throw new IllegalArgumentException("target must have one label per row of input1 " + Check.shape(x1)
                    + ": expected shape [" + rows + "], got " + Check.shape(target));
        }

        DType dt = x1.dtype();
        long[] outShape = target.shape();
        long[] rowShape = {rows};
        Tensor a = x1.reshape(rows, width);
        Tensor b = x2.reshape(rows, width);
        Tensor go = reduction == Reduction.NONE && (call.wantsGrad(0) || call.wantsGrad(1))
                ? call.gradOutputTensor(dt, outShape).reshape(rows) : null;
        double g = reduction != Reduction.NONE && call.backward ? call.gradOutputScalar() : 0;

        Tensor cos = call.ws.uninitialized(dt, rows);
        call.ops.margin().cosineSimilarity(MarginOps.Cosine.SQUARED_NORM_EPS, EPSILON, a, b, cos);
        // the labels as a tensor of the inputs' dtype for the element-wise term: 1, -1, or 0 for any other value
        Tensor labels = target.reshape(rows);
        if (target.dtype() != dt) {
            labels = call.ws.uninitialized(dt, rows);
            for (long n = 0; n < rows; n++) {
                double y = target.getDouble(n);
                labels.setDouble(n, y == 1 ? 1 : y == -1 ? -1 : 0);
            }
        }

        PointwiseFn term = new Term(dt == DType.F32 ? (float) margin : margin);
        boolean grads = call.wantsGrad(0) || call.wantsGrad(1);
        Tensor gradCos = grads ? call.ws.uninitialized(dt, rows) : null;
        Tensor[] pg = grads ? new Tensor[] {gradCos, null} : null;
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, outShape);
            call.ops.pointwise().apply(term, new Tensor[] {cos, labels}, rowShape, out.reshape(rows), go, 0, pg);
        } else {
            double divisor = reduction == Reduction.MEAN ? rows : 1;
            double sum = call.ops.pointwise().apply(term, new Tensor[] {cos, labels}, rowShape, null, null, g / divisor, pg);
            call.outputScalar(dt, sum / divisor);
        }
        if (grads) {
            call.ops.margin().cosineSimilarityBackward(MarginOps.Cosine.SQUARED_NORM_EPS, EPSILON, a, b, gradCos, 0,
                    call.wantsGrad(0) ? call.grad(0).reshape(rows, width) : null, false,
                    call.wantsGrad(1) ? call.grad(1).reshape(rows, width) : null, false);
        }
    }

    /**
     * The term on (cos, label): {@code 1 - cos} for label 1, {@code max(0, cos - margin)} for label -1, else 0. For
     * float32 the margin is the float32-rounded value, as PyTorch subtracts it in float32.
     */
    private record Term(double margin) implements PointwiseFn {
        @Override
        public String name() {
            return "cosine_embedding";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double cos, double y, double c, double d) {
            if (y == 1) return 1 - cos;
            if (y == -1) return Math.max(0, cos - margin);
            return 0;
        }

        @Override
        public void grad(double cos, double y, double c, double d, double g, double[] out) {
            if (y == 1) out[0] = -g;
            else if (y == -1) out[0] = cos - margin >= 0 ? g : 0;
            else out[0] = 0;
            out[1] = 0;
        }
    }

    /** Builder for {@link CosineEmbeddingLoss}. */
    public static final class Builder extends LossBuilder<Builder, CosineEmbeddingLoss> {
        private double margin = 0.0;

        private Builder() {}

        /** PyTorch's {@code margin}; default 0.0 (PyTorch suggests -1 to 1). NaN is rejected. */
        public Builder margin(double margin) {
            if (Double.isNaN(margin)) throw new IllegalArgumentException("CosineEmbeddingLoss: margin must not be NaN");
            this.margin = margin;
            return this;
        }

        @Override
        public CosineEmbeddingLoss build() {
            return new CosineEmbeddingLoss(this);
        }
    }
}

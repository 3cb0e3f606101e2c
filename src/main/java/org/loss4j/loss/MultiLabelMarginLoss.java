package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;

/**
 * Multi-class multi-label hinge loss between scores {@code input} x and label lists {@code target} y
 * (PyTorch's {@code nn.MultiLabelMarginLoss}).
 *
 * <p>For each sample with {@code C} classes, the labels are {@code y[0], y[1], ...} up to (not including) the first
 * -1; later entries are ignored. Then
 * {@code loss(x, y) = sum_j sum_{i not a label} max(0, 1 - (x[y[j]] - x[i])) / C}. A label listed twice counts twice,
 * as in PyTorch; a hinge argument of exactly 0 contributes nothing, and no gradient. Then {@code mean}: the mean over
 * samples; {@code sum}: their sum; {@code none}: one loss per sample. The mean over an empty batch is nan and the sum
 * 0 (PyTorch's fused kernel returns uninitialised memory there; loss4j returns the mean and sum of its empty
 * unreduced output instead).
 *
 * <p>Arguments: {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: input {@code (N, C)} or {@code (C)} (a 0-dim input is one sample with C = 1); target int64 (or int32)
 * of the same shape ({@code (C)} or {@code ()} for an unbatched input), padded with -1; every entry, also after the
 * first -1, must lie in {@code [-1, C)}, else {@link IndexOutOfBoundsException}; output a scalar, or {@code (N)}
 * ({@code ()} for an unbatched input) for {@code none}. Gradients: input.
 *
 * <pre>{@code
 * MultiLabelMarginLoss loss = MultiLabelMarginLoss.create();
 * Tensor x = Tensor.of(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 1, 4);
 * Tensor y = Tensor.of(new long[] {3, 0, -1, 1}, 1, 4);   // labels 3 and 0
 * loss.forward(x, y).item();   // ((1-(0.1-0.2)) + (1-(0.1-0.4)) + (1-(0.8-0.2)) + (1-(0.8-0.4))) / 4 = 0.85
 * }</pre>
 */
public final class MultiLabelMarginLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    private MultiLabelMarginLoss(Builder b) {
        super(LossBuilder.standard("MultiLabelMarginLoss", b.reduction), b.backend);
    }

    /** MultiLabelMarginLoss with PyTorch's defaults (reduction mean). */
    public static MultiLabelMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code reduction}. */
    public static MultiLabelMarginLoss fromOptions(LossOptions o) {
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

    /** PyTorch has no bfloat16 CPU kernel for this loss. */
    @Override
    boolean takesBf16() {
        return false;
    }

    @Override
    public String name() {
        return "MultiLabelMarginLoss";
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
    List<String> opGroups() {
        return List.of("margin");
    }

    @Override
    void compute(Call call) {
        Tensor input = Check.floating("input", call.args[0]);
        Tensor target = Check.integral("target", call.args[1]);
        int nd = input.dim();
        if (nd > 2 || (nd >= 1 && input.size(nd - 1) == 0)) {
            throw new IllegalArgumentException("input must be (C) or (N, C) with C > 0 classes (a non-empty vector or "
                    + "matrix with optional 0-dim batch size), got shape " + Check.shape(input));
        }
        long rows = nd <= 1 ? 1 : input.size(0);
        long classes = nd == 0 ? 1 : input.size(nd - 1);
        boolean ok = nd == 2 ? org.loss4j.internal.check.Check.sameShape(target, input)
                : target.dim() <= 1 && target.numel() == classes;
        if (!ok) {
            throw new IllegalArgumentException("inconsistent target size: target must have the input's shape "
                    + Check.shape(input) + " (labels padded with -1), got " + Check.shape(target));
        }
        long count = target.numel();
        for (long i = 0; i < count; i++) {
            long v = target.getLong(i);
            if (v < -1 || v >= classes) {
                throw new IndexOutOfBoundsException("target value " + v + " at position " + i + " is out of range for "
                        + classes + " classes (valid: -1 to " + (classes - 1) + ", -1 ends the label list)");
            }
        }

        DType dt = input.dtype();
        Tensor x = input.reshape(rows, classes);
        Tensor y = target.reshape(rows, classes);
        long[] outShape = nd == 2 ? new long[] {rows} : new long[0];
        if (reduction == Reduction.NONE) {
            Tensor go = call.wantsGrad(0) ? call.gradOutputTensor(dt, outShape) : null;
            Tensor out = call.output(dt, outShape);
            call.ops.margin().multiLabelMargin(x, y, out.reshape(rows));
            if (go != null) {
                call.ops.margin().multiLabelMarginBackward(x, y, go.reshape(rows), 0, call.grad(0).reshape(rows, classes));
            }
        } else {
            double divisor = reduction == Reduction.MEAN ? rows : 1;
            double g = call.backward ? call.gradOutputScalar() : 0;
            double sum = call.ops.margin().multiLabelMargin(x, y, null);
            call.outputScalar(dt, sum / divisor);
            if (call.wantsGrad(0)) {
                call.ops.margin().multiLabelMarginBackward(x, y, null, g / divisor, call.grad(0).reshape(rows, classes));
            }
        }
    }

    /** Builder for {@link MultiLabelMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, MultiLabelMarginLoss> {
        private Builder() {}

        @Override
        public MultiLabelMarginLoss build() {
            return new MultiLabelMarginLoss(this);
        }
    }
}

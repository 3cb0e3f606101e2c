package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * The negative log likelihood loss over class indices (PyTorch's {@code nn.NLLLoss}). {@code input} holds
 * log-probabilities of each class (e.g. the output of a log-softmax); use {@link CrossEntropyLoss} for logits.
 *
 * <p>Unreduced: {@code l_n = -w_{y_n} x_{n, y_n}} with {@code w_c = weight[c]} (1 without weight), and
 * {@code l_n = 0} where {@code y_n == ignore_index}. Then
 * {@code mean}: {@code sum_n l_n / sum_n w_{y_n}}, the weighted mean over non-ignored targets (nan when every
 * target is ignored or the batch is empty); {@code sum}: {@code sum_n l_n}; {@code none}: the {@code l_n}
 * themselves. For K-dimensional inputs {@code n} runs over every sample and spatial position.
 *
 * <p>Arguments:
 * <ul>
 *   <li>{@code weight} (default none): a 1-D tensor of {@code C} class weights, of the input's dtype;</li>
 *   <li>{@code ignore_index} (default -100): a target value that contributes neither to the loss nor to the
 *       mean's denominator nor to the gradient; it may lie outside {@code [0, C)};</li>
 *   <li>{@code reduction} (default {@code mean}).</li>
 * </ul>
 *
 * <p>Shapes: input {@code (N, C)}, {@code (C)} (unbatched) or {@code (N, C, d1, ..., dK)}; target {@code (N)},
 * {@code ()} (or {@code (1)}, as PyTorch takes for a 1-D input) or {@code (N, d1, ..., dK)}, int64 or int32, each
 * value in {@code [0, C)} or equal to {@code ignore_index} (else {@link IndexOutOfBoundsException}); output a
 * scalar, or the target's shape for {@code none} ({@code ()} unbatched). Gradient: input only.
 *
 * <pre>{@code
 * NLLLoss nll = NLLLoss.builder().weight(Tensor.of(new float[] {1, 2, 1})).build();
 * Tensor logProbs = ...;                                  // (N, 3) log-probabilities
 * LossResult r = nll.forwardBackward(logProbs, Tensor.of(new long[] {0, 2, 1}));
 * r.loss().item();                                        // -(x[0,0] + x[1,2] + 2 x[2,1]) / 4
 * r.gradInput();                                          // -w[t]/4 at each target, 0 elsewhere
 * }</pre>
 */
public final class NLLLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    /** PyTorch's default {@code ignore_index}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private final Tensor weight;
    private final long ignoreIndex;

    private NLLLoss(Reduction reduction, Backend backend, Tensor weight, long ignoreIndex) {
        super(LossBuilder.standard("NLLLoss", reduction), backend);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
    }

    /** NLLLoss with PyTorch's defaults (no weight, ignore_index -100, reduction mean). */
    public static NLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code weight}, {@code ignore_index}, {@code reduction}. */
    public static NLLLoss fromOptions(LossOptions o) {
        Builder b = builder()
                .weight(o.getTensor("weight"))
                .ignoreIndex(o.getLong("ignore_index", DEFAULT_IGNORE_INDEX))
                .reduction(o.reduction(Reduction.MEAN));
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

    /** A copy of the class weights, or null. */
    public Tensor weight() {
        return weight == null ? null : weight.copy();
    }

    /** The ignored target value. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    @Override
    Tensor[] optionTensors() {
        return new Tensor[] {weight};
    }

    @Override
    public String name() {
        return "NLLLoss";
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
        return new NLLLoss(reduction, backend, weight, ignoreIndex);
    }

    @Override
    List<String> opGroups() {
        return List.of("softmax");
    }

    @Override
    public String toString() {
        return "NLLLoss(reduction=" + reduction.torchName() + ", ignore_index=" + ignoreIndex
                + (weight == null ? "" : ", weight=" + Check.shape(weight)) + ")";
    }

    @Override
    void compute(Call call) {
        Tensor input = Check.floating("input", call.args[0]);
        Tensor target = Check.integral("target", call.args[1]);
        ClassView v = classView(input, target);
        checkWeight(weight, input, v.classes());
        checkTargets(target, v.classes(), ignoreIndex);

        DType dt = input.dtype();
        SoftmaxOps sm = call.ops.softmax();
        double[] sums = call.sums();
        boolean grad = call.wantsGrad(0);
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, v.outShape());
            sm.classTargetForward(input, target, weight, ignoreIndex, 0, v.outer(), v.classes(), v.inner(), out, sums);
            if (grad) {
                Tensor go = call.gradOutputTensor(dt, v.outShape());
                sm.classTargetBackward(target, weight, ignoreIndex, 0, go, 1, v.outer(), v.classes(), v.inner(), call.grad(0));
            }
            return;
        }
        sm.classTargetForward(input, target, weight, ignoreIndex, 0, v.outer(), v.classes(), v.inner(), null, sums);
        boolean mean = reduction == Reduction.MEAN;
        double totalWeight = sums[SoftmaxOps.WEIGHT_SUM];
        // PyTorch: output / total_weight; 0/0 = nan when every target is ignored or the batch is empty
        call.outputScalar(dt, mean ? sums[SoftmaxOps.NLL_SUM] / totalWeight : sums[SoftmaxOps.NLL_SUM]);
        if (grad) {
            double g = call.gradOutputScalar();
            sm.classTargetBackward(target, weight, ignoreIndex, 0, null, mean ? g / totalWeight : g,
                    v.outer(), v.classes(), v.inner(), call.grad(0));
        }
    }

    // ------------------------------------------------------------------ shared with CrossEntropyLoss

    /**
     * The {@code [outer, C, inner]} view of an input with the class dimension at 1 ({@code (C)} unbatched), and the
     * per-position output shape.
     */
    static final class ClassView {
        private long outer, classes, inner;
        private Tensor input;

        private ClassView set(long outer, long classes, long inner, Tensor input) {
            this.outer = outer;
            this.classes = classes;
            this.inner = inner;
            this.input = input;
            return this;
        }

        long outer() {
            return outer;
        }

        long classes() {
            return classes;
        }

        long inner() {
            return inner;
        }

        /** The per-position output shape ({@code reduction='none'} only: it allocates). */
        long[] outShape() {
            return input.dim() == 1 ? new long[0] : targetShape(input);
        }
    }

    /** One per thread, reused: the view lives for one compute (references dropped by the next). */
    private static final ThreadLocal<ClassView> VIEW = ThreadLocal.withInitial(ClassView::new);

    /** PyTorch's shape rules for class-index targets ({@code nll_loss_nd}), with PyTorch's messages. */
    static ClassView classView(Tensor input, Tensor target) {
        int d = input.dim();
        if (d == 0) {
            throw new IllegalArgumentException("Expected 1 or more dimensions (got 0): input must be (C), (N, C) or "
                    + "(N, C, d1, ..., dK), got a 0-dim tensor");
        }
        if (d == 1) {
            if (target.dim() == 0 || (target.dim() == 1 && target.size(0) == 1)) {
                return VIEW.get().set(1, input.size(0), 1, input);
            }
            if (target.dim() == 1) {
                throw new IllegalArgumentException("For 1D input, 1D target must have size 1, but got target size: "
                        + target.size(0) + " (input of size " + Check.shape(input) + " is one unbatched sample: target is one class index)");
            }
            throw new IllegalArgumentException("Expected target size [] for unbatched input of size " + Check.shape(input)
                    + ", got " + Check.shape(target));
        }
        long n = input.size(0);
        if (target.dim() == 0) {
            throw new IllegalArgumentException("Expected input batch_size (" + n + ") to match target batch_size, but target "
                    + "is 0-dim; expected target size " + Arrays.toString(targetShape(input)));
        }
        if (target.size(0) != n) {
            throw new IllegalArgumentException("Expected input batch_size (" + n + ") to match target batch_size ("
                    + target.size(0) + ") (input size " + Check.shape(input) + ", target size " + Check.shape(target) + ")");
        }
        if (!isTargetShape(input, target)) {
            long[] want = targetShape(input);
            throw new IllegalArgumentException("Expected target size " + Arrays.toString(want) + ", got " + Check.shape(target)
                    + " for input of size " + Check.shape(input) + (d == 2 ? " (multi-target not supported)" : ""));
        }
        long inner = 1;
        for (int k = 2; k < d; k++) inner *= input.size(k);
        return VIEW.get().set(n, input.size(1), inner, input);
    }

    /** True if {@code target} is {@code (N, d1, ..., dK)} for an input {@code (N, C, d1, ..., dK)} (no copies). */
    static boolean isTargetShape(Tensor input, Tensor target) {
        int d = input.dim();
        if (target.dim() != d - 1 || target.size(0) != input.size(0)) return false;
        for (int k = 2; k < d; k++) {
            if (target.size(k - 1) != input.size(k)) return false;
        }
        return true;
    }

    /** {@code (N, d1, ..., dK)} for an input {@code (N, C, d1, ..., dK)}. */
    static long[] targetShape(Tensor input) {
        long[] s = input.shape();
        long[] t = new long[s.length - 1];
        t[0] = s[0];
        System.arraycopy(s, 2, t, 1, s.length - 2);
        return t;
    }

    /** The class weight (if any) has one entry per class and the input's dtype. */
    static void checkWeight(Tensor weight, Tensor input, long classes) {
        if (weight == null) return;
        Check.present("weight", weight);
        if (weight.dim() != 1 || weight.size(0) != classes) {
            throw new IllegalArgumentException("weight tensor should be defined either for all " + classes
                    + " classes or no classes but got weight tensor of shape: " + Check.shape(weight)
                    + " (input size " + Check.shape(input) + ")");
        }
        Check.sameDtype("input", input, "weight", weight);
    }

    /**
     * Every target is a class in {@code [0, classes)} or {@code ignoreIndex}. A CUDA target is first copied to the
     * host explicitly (the host never reads device memory; the device kernels then trust the checked values).
     */
    static void checkTargets(Tensor target, long classes, long ignoreIndex) {
        if (target.isCuda()) target = target.toHost();
        long n = target.numel();
        for (long p = 0; p < n; p++) {
            long t = target.getLong(p);
            if (t != ignoreIndex && (t < 0 || t >= classes)) {
                throw new IndexOutOfBoundsException("Target " + t + " is out of bounds: target value " + t + " at position "
                        + p + " must be a class index in [0, " + classes + ") (C = " + classes + ") or ignore_index ("
                        + ignoreIndex + ")");
            }
        }
    }

    /** Rejects a weight that is not a 1-D floating tensor; returns a private copy (losses are immutable). */
    static Tensor weightOption(Tensor w) {
        if (w == null) return null;
        Check.floating("weight", w);
        if (w.dim() != 1) {
            throw new IllegalArgumentException("weight must be a 1-D tensor with one entry per class, got shape " + Check.shape(w));
        }
        return w.copy();
    }

    /** Builder for {@link NLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, NLLLoss> {
        private Tensor weight;
        private long ignoreIndex = DEFAULT_IGNORE_INDEX;

        private Builder() {}

        /**
         * PyTorch's {@code weight}: a 1-D float32 or float64 tensor of {@code C} class weights (copied), of the input's
         * dtype; null (default) for all ones.
         */
        public Builder weight(Tensor weight) {
            this.weight = weightOption(weight);
            return this;
        }

        /** PyTorch's {@code ignore_index} (default -100): targets with this value are skipped. */
        public Builder ignoreIndex(long ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        @Override
        public NLLLoss build() {
            return new NLLLoss(reduction, backend, weight, ignoreIndex);
        }
    }
}

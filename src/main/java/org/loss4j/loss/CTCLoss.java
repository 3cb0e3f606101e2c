package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;

/**
 * The connectionist temporal classification loss (PyTorch's {@code nn.CTCLoss}; Graves et al. 2006): the negative
 * log-likelihood of a target label sequence given per-frame log-probabilities, summed over every alignment of the
 * target to the input (many-to-one: a label may span several frames, a blank separates repeated labels).
 *
 * <p>Unreduced: {@code l_n = -ln p(targets_n | log_probs[:input_lengths[n], n, :])}, computed by the forward-backward
 * algorithm in log space. An impossible alignment (the input too short for the target and its repeated labels)
 * gives {@code l_n = inf}, and a NaN gradient on that item's frames, unless {@code zero_infinity}. Then
 * {@code mean}: the mean over the batch of {@code l_n / max(target_lengths[n], 1)}; {@code sum}: the sum of the
 * {@code l_n}; {@code none}: the {@code l_n} themselves.
 *
 * <p>Arguments: {@code blank} (default 0), the blank label, in {@code [0, C)}; {@code reduction} (default
 * {@code mean}); {@code zero_infinity} (default {@code false}): replace infinite losses, and their gradients, by 0.
 *
 * <p>Shapes: {@code log_probs} {@code (T, N, C)} or unbatched {@code (T, C)}, float32 or float64, the
 * log-probabilities (e.g. a {@code log_softmax} output; T, N and C at least 1); {@code targets} int64 or int32,
 * either padded {@code (N, S)} (item n's labels are {@code targets[n, 0:target_lengths[n]]}, the rest is ignored) or
 * concatenated 1-D of {@code sum(target_lengths)} labels (unbatched: {@code (S)} with {@code S = target_lengths}),
 * each label in {@code [0, C)} and not {@code blank}; {@code input_lengths} and {@code target_lengths} int64 or
 * int32 of {@code N} elements ({@code (N)} or {@code ()}), {@code 0 <= input_lengths <= T},
 * {@code 0 <= target_lengths} ({@code <= S} when padded). Output: a scalar, or {@code (N)} ({@code ()} unbatched)
 * for {@code none}. Gradient: {@code log_probs} only, 0 at frames {@code t >= input_lengths[n]}.
 *
 * <p>The gradient is PyTorch's: {@code exp(log_probs) - (posterior occupation of each class)} times the upstream
 * gradient, which is the derivative with respect to the pre-{@code log_softmax} activations (eq. 16 of the paper)
 * rather than the literal derivative with respect to {@code log_probs}; both agree after back-propagation through
 * {@code log_softmax} only when {@code log_probs} is normalised. loss4j reproduces it as PyTorch computes it.
 *
 * <p>loss4j is stricter than PyTorch's CPU kernel, which does not check the labels: a label out of {@code [0, C)}
 * throws {@link IndexOutOfBoundsException}, a label equal to {@code blank} {@link IllegalArgumentException}; and
 * targets must have an integer dtype. Padding past {@code target_lengths[n]} is never read.
 *
 * <pre>{@code
 * CTCLoss ctc = CTCLoss.builder().blank(0).reduction("mean").build();
 * // log_probs (T=50, N=16, C=20) from a log_softmax; targets (16, 30) padded; lengths (16)
 * LossResult r = ctc.forwardBackward(logProbs, targets, inputLengths, targetLengths);
 * r.loss().item();
 * r.grad("log_probs");      // (50, 16, 20)
 * }</pre>
 */
public final class CTCLoss extends Loss {

    private static final List<String> ARGS = List.of("log_probs", "targets", "input_lengths", "target_lengths");
    private static final Set<String> DIFF = Set.of("log_probs");

    private final long blank;
    private final boolean zeroInfinity;

    private CTCLoss(Builder b) {
        super(LossBuilder.standard("CTCLoss", b.reduction), b.backend);
        this.blank = b.blank;
        this.zeroInfinity = b.zeroInfinity;
    }

    /** CTCLoss with PyTorch's defaults: blank 0, reduction mean, zero_infinity false. */
    public static CTCLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code blank}, {@code reduction}, {@code zero_infinity}. */
    public static CTCLoss fromOptions(LossOptions o) {
        Builder b = builder()
                .blank(o.getLong("blank", 0))
                .reduction(o.reduction(Reduction.MEAN))
                .zeroInfinity(o.getBoolean("zero_infinity", false));
        o.finish();
        return b.build();
    }

    /** PyTorch's {@code blank}. */
    public long blank() {
        return blank;
    }

    /** PyTorch's {@code zero_infinity}. */
    public boolean zeroInfinity() {
        return zeroInfinity;
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) {
        return super.forward(logProbs, targets, inputLengths, targetLengths);
    }

    /** {@link #forward(Tensor, Tensor, Tensor, Tensor)} with the lengths as arrays (PyTorch also takes tuples). */
    public Tensor forward(Tensor logProbs, Tensor targets, long[] inputLengths, long[] targetLengths) {
        return super.forward(logProbs, targets, Tensor.of(inputLengths), Tensor.of(targetLengths));
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) {
        return super.forwardBackward(logProbs, targets, inputLengths, targetLengths);
    }

    /** Typed form of {@link #backward(Tensor, Tensor...)} ({@code gradOutput} is required for reduction none). */
    public LossResult backward(Tensor gradOutput, Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) {
        return super.backward(gradOutput, logProbs, targets, inputLengths, targetLengths);
    }

    /** PyTorch has no bfloat16 CPU kernel for this loss. */
    @Override
    boolean takesBf16() {
        return false;
    }

    @Override
    public String name() {
        return "CTCLoss";
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
    List<String> opGroups() {
        return List.of("ctc");
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().blank(blank).reduction(reduction).zeroInfinity(zeroInfinity).backend(backend).build();
    }

    @Override
    public String toString() {
        return "CTCLoss(blank=" + blank + ", reduction=" + reduction.torchName() + ", zero_infinity=" + zeroInfinity + ")";
    }

    @Override
    void compute(Call call) {
        Tensor logProbs = Check.floating("log_probs", call.args[0]);
        Tensor targets = Check.present("targets", call.args[1]);
        Tensor inputLengths = Check.integral("input_lengths", call.args[2]);
        Tensor targetLengths = Check.integral("target_lengths", call.args[3]);
        Check.integral("targets", targets); // PyTorch casts float targets to int64; loss4j never converts silently
        // CUDA call: the integer targets and lengths are copied to the host explicitly, validated there, and the host
        // copies go to the ctc group (which copies what cuDNN needs back as int32); log_probs and its gradient stay
        targets = hostCopy(targets);
        inputLengths = hostCopy(inputLengths);
        targetLengths = hostCopy(targetLengths);
        if (logProbs.dim() != 3 && logProbs.dim() != 2) {
            throw new IllegalArgumentException("log_probs must be (T, N, C) or unbatched (T, C), got " + logProbs.dim()
                    + " dimensions (shape " + Check.shape(logProbs) + ")");
        }
        boolean batched = logProbs.dim() == 3;
        if (logProbs.numel() == 0) {
            throw new IllegalArgumentException("log_probs must not be empty (T, N and C at least 1), got shape "
                    + Check.shape(logProbs));
        }
        long T = logProbs.size(0);
        long N = batched ? logProbs.size(1) : 1;
        long C = logProbs.size(logProbs.dim() - 1);
        if (blank >= C) {
            throw new IllegalArgumentException("blank must be in label range [0, C) = [0, " + C + "), got blank=" + blank
                    + " (log_probs shape " + Check.shape(logProbs) + ")");
        }
        if (targets.dim() != 1 && targets.dim() != 2) {
            throw new IllegalArgumentException("targets must be padded (N, S) or concatenated 1-D (sum(target_lengths)), got "
                    + targets.dim() + " dimensions (shape " + Check.shape(targets) + ")");
        }
        lengthCount("input_lengths", inputLengths, N);
        lengthCount("target_lengths", targetLengths, N);
        Tensor il = inputLengths.reshape(N);
        Tensor tl = targetLengths.reshape(N);
        long sum = 0;
        for (long n = 0; n < N; n++) {
            long v = tl.getLong(n);
            if (v < 0) {
                throw new IllegalArgumentException("target_lengths must be >= 0, got target_lengths[" + n + "] = " + v);
            }
            if (v > Long.MAX_VALUE - sum) {
                // a wrapped-around sum could equal targets.numel() and pass the concatenated-length check below
                throw new IllegalArgumentException("target_lengths add up to more than " + Long.MAX_VALUE + ": "
                        + values(tl));
            }
            sum += v;
        }
        boolean padded = targets.dim() == 2;
        if (padded) {
            if (targets.size(0) != N) {
                throw new IllegalArgumentException("padded targets (N, S) must have N = " + N + " rows like log_probs "
                        + Check.shape(logProbs) + ", got targets of shape " + Check.shape(targets));
            }
            long S = targets.size(1);
            for (long n = 0; n < N; n++) {
                if (tl.getLong(n) > S) {
                    throw new IllegalArgumentException("target_lengths[" + n + "] = " + tl.getLong(n)
                            + " exceeds the padded length S = " + S + " of targets (shape " + Check.shape(targets) + ")");
                }
            }
        } else if (targets.numel() != sum) {
            String form = batched ? "concatenated targets (sum(target_lengths))" : "unbatched targets (S = target_lengths)";
            throw new IllegalArgumentException(form + " must have " + sum + " elements, got targets of shape "
                    + Check.shape(targets) + " for target_lengths " + values(tl));
        }
        for (long n = 0; n < N; n++) {
            long v = il.getLong(n);
            if (v < 0 || v > T) {
                throw new IllegalArgumentException("input_lengths must be in [0, T] = [0, " + T + "], got input_lengths["
                        + n + "] = " + v);
            }
        }
        checkLabels(targets, tl, padded, N, C);

        DType dt = logProbs.dtype();
        Tensor lp = logProbs.reshape(T, N, C);
        long[] outShape = reduction == Reduction.NONE && batched ? new long[] {N} : new long[0];
        Tensor nll = call.ws.uninitialized(DType.F64, N);
        Tensor grad = null;
        Tensor gradScale = null;
        if (call.wantsGrad(0)) {
            grad = call.grad(0).reshape(T, N, C);
            gradScale = call.ws.uninitialized(DType.F64, N);
            if (reduction == Reduction.NONE) {
                Tensor go = hostCopy(call.gradOutputTensor(dt, outShape));
                for (long n = 0; n < N; n++) gradScale.setDouble(n, go.getDouble(n));
            } else {
                double g = call.gradOutputScalar();
                for (long n = 0; n < N; n++) {
                    // mean: d/dl_n of mean_n(l_n / max(target_length_n, 1))
                    gradScale.setDouble(n, reduction == Reduction.MEAN ? g / N / Math.max(tl.getLong(n), 1) : g);
                }
            }
        }
        call.ops.ctc().ctcLoss(lp, targets, il, tl, blank, nll, gradScale, zeroInfinity, grad);

        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, outShape);
            Tensor h = out.isCuda() ? call.ws.uninitialized(dt, outShape) : out;
            for (long n = 0; n < N; n++) h.setDouble(n, loss(nll, n));
            if (h != out) h.copyInto(out);
        } else {
            double total = 0;
            for (long n = 0; n < N; n++) {
                double v = loss(nll, n);
                total += reduction == Reduction.MEAN ? v / Math.max(tl.getLong(n), 1) : v;
            }
            call.outputScalar(dt, reduction == Reduction.MEAN ? total / N : total);
        }
    }

    private static Tensor hostCopy(Tensor t) {
        return t != null && t.isCuda() ? t.toHost() : t;
    }

    /** Item n's loss: its nll, or 0 for an infinite one under zero_infinity (PyTorch replaces only +inf). */
    private double loss(Tensor nll, long n) {
        double v = nll.getDouble(n);
        return zeroInfinity && v == Double.POSITIVE_INFINITY ? 0 : v;
    }

    /** PyTorch takes any shape with one length per batch item ({@code (N)}, or {@code ()} for N = 1). */
    private static void lengthCount(String name, Tensor t, long n) {
        if (t.numel() != n) {
            throw new IllegalArgumentException(name + " must have one value per batch item, N = " + n + " (shape (" + n
                    + ")" + (n == 1 ? " or ()" : "") + "), got shape " + Check.shape(t));
        }
    }

    /** Every label that will be read: in [0, C) and not the blank (PyTorch's CPU kernel checks neither). */
    private void checkLabels(Tensor targets, Tensor tl, boolean padded, long N, long C) {
        long offset = 0;
        for (long n = 0; n < N; n++) {
            long len = tl.getLong(n);
            long base = padded ? n * targets.size(1) : offset;
            for (long j = 0; j < len; j++) {
                long v = targets.getLong(base + j);
                String at = padded ? "[" + n + ", " + j + "]" : "[" + (base + j) + "] (item " + n + ")";
                if (v < 0 || v >= C) {
                    throw new IndexOutOfBoundsException("targets value " + v + " at " + at + " is out of bounds for C = "
                            + C + " classes (valid: 0 to " + (C - 1) + ", except blank = " + blank + ")");
                }
                if (v == blank) {
                    throw new IllegalArgumentException("targets value " + v + " at " + at + " is the blank label (blank = "
                            + blank + "); a target label must not be blank");
                }
            }
            offset += len;
        }
    }

    private static String values(Tensor t) {
        StringBuilder sb = new StringBuilder("[");
        long n = Math.min(t.numel(), 16);
        for (long i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(t.getLong(i));
        return sb.append(t.numel() > n ? ", ...]" : "]").toString();
    }

    /** Builder for {@link CTCLoss}. */
    public static final class Builder extends LossBuilder<Builder, CTCLoss> {
        long blank;
        boolean zeroInfinity;

        private Builder() {}

        /** PyTorch's {@code blank}: the blank label, default 0; must be {@code >= 0} (and {@code < C}, checked per call). */
        public Builder blank(long blank) {
            if (blank < 0) {
                throw new IllegalArgumentException("CTCLoss: blank must be a label index >= 0, got blank=" + blank);
            }
            this.blank = blank;
            return this;
        }

        /** PyTorch's {@code zero_infinity}: replace infinite losses and their gradients by 0; default false. */
        public Builder zeroInfinity(boolean zeroInfinity) {
            this.zeroInfinity = zeroInfinity;
            return this;
        }

        @Override
        public CTCLoss build() {
            return new CTCLoss(this);
        }
    }
}

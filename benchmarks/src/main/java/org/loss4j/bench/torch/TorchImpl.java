package org.loss4j.bench.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdaptiveLogSoftmaxWithLossImpl;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.loss4j.DType;
import org.loss4j.bench.Impl;
import org.loss4j.bench.Workload;

/**
 * The peer: libtorch's CPU loss functions through {@code org.bytedeco:pytorch} ({@code org.bytedeco.pytorch.global.torch},
 * the at:: functions Python's {@code torch.nn.functional} calls), on tensors made by {@code from_blob} over the very
 * memory loss4j uses (no copy). Forward runs without autograd (the inputs do not require grad, and autograd is off);
 * forward+backward runs autograd: the gradient arguments require grad, {@code backward()} fills their {@code grad},
 * which is then reset to undefined as {@code optimizer.zero_grad()} does (set_to_none). Each call runs in a
 * {@link PointerScope} so the Java handles of temporaries are freed at once (JavaCPP's GC-driven deallocation is off:
 * {@code org.bytedeco.javacpp.nopointergc=true}). Threads: {@code torch.set_num_threads}.
 *
 * <p>Losses libtorch's C++ API has no function for are composed as PyTorch's Python does: GaussianNLLLoss
 * (clamped variance, 0.5 (log var + (input - target)^2 / var)), KLDivLoss batchmean (kl_div sum / N).
 * AdaptiveLogSoftmaxWithLoss is the C++ module with its weights copied from the workload; its C++ forward returns the
 * loss as a double, so the gradient comes from {@code -output.mean()}, as in Python.
 */
public final class TorchImpl implements Impl {

    private static final long NONE = 0, MEAN = 1, SUM = 2; // at::Reduction

    private interface Fn {
        Tensor apply(Tensor[] a);
    }

    private final Workload w;
    private final String reduction;
    private final Tensor[] plain;   // forward: no grad
    private final Tensor[] withGrad; // forward+backward: grad args require grad
    private final List<Tensor> gradLeaves = new ArrayList<>();
    private final Fn fn;
    private final Arena arena = Arena.ofShared();
    private final org.loss4j.Tensor[] data;
    private AdaptiveLogSoftmaxWithLossImpl asm;
    private Tensor gradOut;

    public TorchImpl(Workload w, DType dtype, String reduction, int threads) {
        System.setProperty("org.bytedeco.javacpp.nopointergc", "true");
        torch.set_num_threads(threads);
        if (torch.get_num_threads() != threads) {
            System.err.println("bench: warning: torch.get_num_threads() = " + torch.get_num_threads() + " after set_num_threads(" + threads + ")");
        }
        this.w = w;
        this.reduction = w.reduction(reduction);
        this.data = w.allocate(arena, dtype);
        plain = new Tensor[data.length];
        withGrad = new Tensor[data.length];
        for (int i = 0; i < data.length; i++) {
            plain[i] = wrap(data[i]);
            if (w.args().get(i).grad()) {
                withGrad[i] = wrap(data[i]);
                withGrad[i].requires_grad_(true);
                gradLeaves.add(withGrad[i]);
            } else {
                withGrad[i] = plain[i];
            }
        }
        fn = function();
        if (asm != null) {
            gradLeaves.clear();
            gradLeaves.add(withGrad[0]);
            StringTensorDict params = asm.named_parameters();
            for (long i = 0; i < params.size(); i++) gradLeaves.add(params.get(i).value());
        }
        // The upstream gradient for non-scalar outputs (reduction none): ones, as loss4j's benchmark passes.
        try (AutoGradMode off = new AutoGradMode(false)) {
            Tensor probe = fn.apply(plain);
            if (probe.dim() > 0) gradOut = torch.ones_like(probe);
        }
    }

    /** A tensor over the loss4j tensor's memory (no copy, no ownership). */
    static Tensor wrap(org.loss4j.Tensor t) {
        MemorySegment s = t.segment();
        Pointer p = new Pointer() {
            {
                address = s.address();
                limit = capacity = s.byteSize();
            }
        };
        ScalarType st = switch (t.dtype()) {
            case F32 -> ScalarType.Float;
            case F64 -> ScalarType.Double;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case BF16 -> ScalarType.BFloat16;
        };
        return torch.from_blob(p, t.shape(), new TensorOptions(st));
    }

    private long red() {
        return switch (reduction) {
            case "none" -> NONE;
            case "mean" -> MEAN;
            case "sum", "batchmean" -> SUM;
            default -> throw new IllegalArgumentException("reduction " + reduction);
        };
    }

    private Tensor reduce(Tensor t) {
        return switch (reduction) {
            case "none" -> t;
            case "mean" -> t.mean();
            case "sum" -> t.sum();
            default -> throw new UnsupportedOperationException("reduction " + reduction + " for " + w.loss());
        };
    }

    private Fn function() {
        long r = red();
        TensorOptional none = new TensorOptional();
        return switch (w.loss()) {
            case "MSELoss" -> a -> torch.mse_loss(a[0], a[1], r);
            case "L1Loss" -> a -> torch.l1_loss(a[0], a[1], r);
            case "HuberLoss" -> a -> torch.huber_loss(a[0], a[1], r, 1.0);
            case "SmoothL1Loss" -> a -> torch.smooth_l1_loss(a[0], a[1], r, 1.0);
            case "SoftMarginLoss" -> a -> torch.soft_margin_loss(a[0], a[1], r);
            case "BCELoss" -> a -> torch.binary_cross_entropy(a[0], a[1], none, r);
            case "BCEWithLogitsLoss" -> a -> torch.binary_cross_entropy_with_logits(a[0], a[1], none, none, r);
            case "PoissonNLLLoss" -> a -> torch.poisson_nll_loss(a[0], a[1], true, false, 1e-8, r);
            case "GaussianNLLLoss" -> a -> {
                // torch.nn.functional.gaussian_nll_loss (full=False, eps=1e-6): var clamped without autograd.
                Tensor var = a[2].clone();
                try (NoGradGuard g = new NoGradGuard()) {
                    var.clamp_(new org.bytedeco.pytorch.ScalarOptional(new Scalar(1e-6)), new org.bytedeco.pytorch.ScalarOptional());
                }
                Tensor d = a[0].sub(a[1]);
                Tensor loss = var.log().add(d.mul(d).div(var)).mul(new Scalar(0.5));
                return reduce(loss);
            };
            case "KLDivLoss" -> reduction.equals("batchmean")
                    ? a -> torch.kl_div(a[0], a[1], SUM, false).div(new Scalar(a[0].size(0)))
                    : a -> torch.kl_div(a[0], a[1], r, false);
            case "HingeEmbeddingLoss" -> a -> torch.hinge_embedding_loss(a[0], a[1], 1.0, r);
            case "MarginRankingLoss" -> a -> torch.margin_ranking_loss(a[0], a[1], a[2], 0.0, r);
            case "CrossEntropyLoss" -> a -> torch.cross_entropy_loss(a[0], a[1], none, r, -100, 0.0);
            case "NLLLoss" -> a -> torch.nll_loss(a[0], a[1], none, r, -100);
            case "MultiMarginLoss" -> a -> torch.multi_margin_loss(a[0], a[1], new Scalar(1L), new Scalar(1.0), none, r);
            case "MultiLabelMarginLoss" -> a -> torch.multilabel_margin_loss(a[0], a[1], r);
            case "MultiLabelSoftMarginLoss" -> {
                if (!reduction.equals("mean")) throw new UnsupportedOperationException("libtorch peer: MultiLabelSoftMarginLoss only with mean");
                yield a -> torch.multilabel_soft_margin_loss(a[0], a[1]);
            }
            case "CosineEmbeddingLoss" -> a -> torch.cosine_embedding_loss(a[0], a[1], a[2], 0.0, r);
            case "TripletMarginLoss" -> a -> torch.triplet_margin_loss(a[0], a[1], a[2], 1.0, 2.0, 1e-6, false, r);
            case "TripletMarginWithDistanceLoss" -> {
                if (!reduction.equals("mean")) throw new UnsupportedOperationException("libtorch peer: TripletMarginWithDistanceLoss only with mean");
                yield a -> torch.triplet_margin_with_distance_loss(a[0], a[1], a[2]);
            }
            case "CTCLoss" -> a -> torch.ctc_loss(a[0], a[1], a[2], a[3], 0, r, false);
            case "AdaptiveLogSoftmaxWithLoss" -> {
                asm = adaptive();
                yield a -> asm.forward(a[0], a[1]).output().neg().mean();
            }
            default -> throw new IllegalArgumentException("libtorch peer: no function for " + w.loss());
        };
    }

    private AdaptiveLogSoftmaxWithLossImpl adaptive() {
        long in = ((Number) w.options().get("in_features")).longValue();
        long classes = ((Number) w.options().get("n_classes")).longValue();
        List<?> cut = (List<?>) w.options().get("cutoffs");
        long[] c = new long[cut.size()];
        for (int i = 0; i < c.length; i++) c[i] = ((Number) cut.get(i)).longValue();
        AdaptiveLogSoftmaxWithLossImpl m = new AdaptiveLogSoftmaxWithLossImpl(in, classes, new LongVector(c));
        if (data[0].dtype() == DType.F64) m.to(ScalarType.Double, false);
        StringTensorDict params = m.named_parameters();
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 2; i < data.length; i++) {
                String torchName = w.args().get(i).name().replace("_weight", ".weight").replace('_', '.');
                if (!params.contains(torchName)) {
                    throw new IllegalStateException("libtorch AdaptiveLogSoftmaxWithLoss has no parameter " + torchName);
                }
                params.get(torchName).copy_(plain[i]);
            }
        }
        return m;
    }

    @Override
    public Object forward() {
        try (PointerScope scope = new PointerScope(); AutoGradMode off = new AutoGradMode(false)) {
            fn.apply(plain);
        }
        return this;
    }

    @Override
    public Object forwardBackward() {
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = fn.apply(withGrad);
            if (gradOut == null) loss.backward();
            else loss.backward(gradOut, new BoolOptional(), false, new TensorArrayRefOptional());
            for (Tensor t : gradLeaves) t.mutable_grad().reset();
        }
        return this;
    }

    @Override
    public double[] probe() {
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = fn.apply(withGrad);
            if (gradOut == null) loss.backward();
            else loss.backward(gradOut, new BoolOptional(), false, new TensorArrayRefOptional());
            List<Double> r = new ArrayList<>();
            r.add(loss.sum().item_double());
            for (int i = 0; i < withGrad.length; i++) {
                if (!w.args().get(i).grad()) continue;
                Tensor g = i == 0 || asm == null ? withGrad[i].grad() : asm.named_parameters()
                        .get(w.args().get(i).name().replace("_weight", ".weight").replace('_', '.')).grad();
                r.add(g.defined() ? g.abs().sum().item_double() : 0.0); // undefined = never reached = zero
            }
            for (Tensor t : gradLeaves) t.mutable_grad().reset();
            double[] out = new double[r.size()];
            for (int i = 0; i < out.length; i++) out[i] = r.get(i);
            return out;
        }
    }

    @Override
    public void close() {
        for (Tensor t : plain) t.close();
        for (int i = 0; i < withGrad.length; i++) if (withGrad[i] != plain[i]) withGrad[i].close();
        if (gradOut != null) gradOut.close();
        if (asm != null) asm.close();
        arena.close();
    }
}

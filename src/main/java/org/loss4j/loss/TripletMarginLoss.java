package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Triplet loss with the p-norm distance between {@code anchor} a, {@code positive} p and {@code negative} n
 * (PyTorch's {@code nn.TripletMarginLoss}).
 *
 * <p>For each triplet of rows: {@code loss = max(d(a, p) - d(a, n) + margin, 0)} with PyTorch's
 * {@code pairwise_distance} {@code d(x, y) = ||x - y + eps||_p} over the last dimension: eps is added to the
 * difference, so identical vectors are {@code eps * D^(1/p)} apart. With {@code swap}, {@code d(a, n)} is replaced by
 * {@code min(d(a, n), d(p, n))} (the distance swap of Balntas et al.); at a tie each receives half the gradient, as
 * {@code torch.minimum}. The gradient at {@code d(a, p) - d(a, n) + margin = 0} passes ({@code clamp_min}), and the
 * norm's gradient follows PyTorch's {@code norm_backward} (0 where a distance is 0; ties of the inf-norm share it).
 * Then {@code mean}: the mean over triplets (nan for an empty batch); {@code sum}: their sum; {@code none}: one loss
 * per triplet.
 *
 * <p>Arguments: {@code margin} (default 1.0; must be &gt; 0), {@code p} (default 2.0; any real as PyTorch: 0 counts
 * non-zero entries, {@code +-inf} take the largest/smallest magnitude, negative values use the same power formula;
 * NaN is rejected), {@code eps} (default 1e-6; any finite value), {@code swap} (default false), {@code reduction}
 * (default {@code mean}).
 *
 * <p>Shapes: anchor, positive and negative {@code (N, D)} or {@code (D)} (any rank, as PyTorch: the distance is over
 * the last dimension; a 0-dim input is one triplet of D = 1), all of one shape (loss4j does not broadcast them);
 * output a scalar, or the input shape without its last dimension for {@code none}. Gradients: anchor, positive,
 * negative.
 *
 * <pre>{@code
 * TripletMarginLoss loss = TripletMarginLoss.builder().margin(1.0).p(2).build();
 * LossResult r = loss.forwardBackward(anchor, positive, negative);   // each (N, D)
 * r.loss().item();
 * r.grad("anchor");
 * }</pre>
 */
public final class TripletMarginLoss extends Loss {

    private static final List<String> ARGS = List.of("anchor", "positive", "negative");
    private static final Set<String> DIFF = Set.of("anchor", "positive", "negative");

    private final double margin;
    private final double p;
    private final double eps;
    private final boolean swap;

    private TripletMarginLoss(Builder b) {
        super(LossBuilder.standard("TripletMarginLoss", b.reduction), b.backend);
        this.margin = b.margin;
        this.p = b.p;
        this.eps = b.eps;
        this.swap = b.swap;
    }

    /** TripletMarginLoss with PyTorch's defaults (margin 1.0, p 2.0, eps 1e-6, swap false, reduction mean). */
    public static TripletMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options: {@code margin}, {@code p}, {@code eps}, {@code swap}, {@code reduction}. */
    public static TripletMarginLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN)).margin(o.getDouble("margin", 1.0))
                .p(o.getDouble("p", 2.0)).eps(o.getDouble("eps", 1e-6)).swap(o.getBoolean("swap", false));
        o.finish();
        return b.build();
    }

    public double margin() {
        return margin;
    }

    public double p() {
        return p;
    }

    public double eps() {
        return eps;
    }

    public boolean swap() {
        return swap;
    }

    /** Typed form of {@link #forward(Tensor...)}. */
    public Tensor forward(Tensor anchor, Tensor positive, Tensor negative) {
        return super.forward(anchor, positive, negative);
    }

    /** Typed form of {@link #forwardBackward(Tensor...)}. */
    public LossResult forwardBackward(Tensor anchor, Tensor positive, Tensor negative) {
        return super.forwardBackward(anchor, positive, negative);
    }

    @Override
    public String name() {
        return "TripletMarginLoss";
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
        return builder().reduction(reduction).backend(backend).margin(margin).p(p).eps(eps).swap(swap).build();
    }

    @Override
    List<String> opGroups() {
        return List.of("margin", "pointwise");
    }

    @Override
    public String toString() {
        return "TripletMarginLoss(margin=" + margin + ", p=" + p + ", eps=" + eps + ", swap=" + swap + ", reduction="
                + reduction.torchName() + ")";
    }

    @Override
    void compute(Call call) {
        Rows rows = Rows.of(call, true);
        rows.checkNorm(p);
        run(call, rows, margin, swap, new PairwiseDistance(p, eps, rows));
    }

    // ------------------------------------------------------------------ shared with TripletMarginWithDistanceLoss

    /** The three arguments checked (floating, one dtype, one rank) and viewed as rows {@code [rows, width]}. */
    record Rows(Tensor anchor, Tensor positive, Tensor negative, DType dtype, long rows, long width, long[] outShape) {

        static Rows of(Call call, boolean sameShape) {
            Tensor a = Check.floating("anchor", call.args[0]);
            Tensor p = Check.floating("positive", call.args[1]);
            Tensor n = Check.floating("negative", call.args[2]);
            Check.sameDtype("anchor", a, "positive", p);
            Check.sameDtype("anchor", a, "negative", n);
            if (a.dim() != p.dim() || p.dim() != n.dim()) {
                throw new IllegalArgumentException("The anchor, positive, and negative tensors are expected to have the "
                        + "same number of dimensions, but got: anchor " + a.dim() + "D, positive " + p.dim()
                        + "D, and negative " + n.dim() + "D inputs (shapes " + Check.shape(a) + ", " + Check.shape(p)
                        + ", " + Check.shape(n) + ")");
            }
            if (!sameShape) return new Rows(a, p, n, a.dtype(), -1, -1, null);
            Check.sameShape("anchor", a, "positive", p);
            Check.sameShape("anchor", a, "negative", n);
            long width = a.dim() == 0 ? 1 : a.size(a.dim() - 1);
            long[] outShape = a.dim() == 0 ? new long[0] : Arrays.copyOf(a.shape(), a.dim() - 1);
            long rows = 1;
            for (long d : outShape) rows *= d;
            return new Rows(a.reshape(rows, width), p.reshape(rows, width), n.reshape(rows, width), a.dtype(), rows,
                    width, outShape);
        }

        /** linalg.vector_norm has no identity for these p over an empty dimension. */
        void checkNorm(double p) {
            if (width == 0 && (p < 0 || Double.isInfinite(p))) {
                throw new IllegalArgumentException("cannot compute the " + p + " norm (p = " + p + ") over the empty last "
                        + "dimension of anchor " + Arrays.toString(anchor.shape()) + ": the operation has no identity");
            }
        }
    }

    /** The distances of one triplet call: d(a, p), d(a, n) and, with swap, d(p, n); then their gradients. */
    interface Distances {
        /** {@code {d(a, p), d(a, n), d(p, n) or null}}, one floating shape for all. */
        Tensor[] forward(Call call, boolean swap);

        /** Gradients of the arguments (null entries are not wanted) given those of the distances. */
        void backward(Call call, Tensor[] d, Tensor[] gradD, Tensor gA, Tensor gP, Tensor gN);
    }

    /** PyTorch's {@code pairwise_distance(x1, x2, p, eps)} over rows, on the margin kernels. */
    record PairwiseDistance(double p, double eps, Rows r) implements Distances {
        @Override
        public Tensor[] forward(Call call, boolean swap) {
            Tensor[] d = new Tensor[3];
            d[0] = one(call, r.anchor(), r.positive());
            d[1] = one(call, r.anchor(), r.negative());
            if (swap) d[2] = one(call, r.positive(), r.negative());
            return d;
        }

        private Tensor one(Call call, Tensor x1, Tensor x2) {
            Tensor d = call.ws.uninitialized(r.dtype(), r.outShape());
            call.ops.margin().pairwiseDistance(p, eps, x1, x2, d.reshape(r.rows()));
            return d;
        }

        @Override
        public void backward(Call call, Tensor[] d, Tensor[] gd, Tensor gA, Tensor gP, Tensor gN) {
            var m = call.ops.margin();
            long n = r.rows();
            m.pairwiseDistanceBackward(p, eps, r.anchor(), r.positive(), d[0].reshape(n), gd[0].reshape(n), 0, gA, false, gP, false);
            m.pairwiseDistanceBackward(p, eps, r.anchor(), r.negative(), d[1].reshape(n), gd[1].reshape(n), 0, gA, true, gN, false);
            if (d[2] != null) {
                m.pairwiseDistanceBackward(p, eps, r.positive(), r.negative(), d[2].reshape(n), gd[2].reshape(n), 0, gP, true, gN, true);
            }
        }
    }

    /**
     * The triplet hinge over the distances, PyTorch's
     * {@code clamp_min(margin + d(a, p) - (swap ? minimum(d(a, n), d(p, n)) : d(a, n)), 0)}, then the reduction.
     *
     * @param rows the argument views; {@code rows.rows()} is used only to view caller gradients, may be -1 otherwise
     */
    static void run(Call call, Rows rows, double margin, boolean swap, Distances distances) {
        boolean anyGrad = call.wantsGrad(0) || call.wantsGrad(1) || call.wantsGrad(2);
        boolean none = call.reduction() == Reduction.NONE;
        // the upstream gradient is checked before any work where the output shape is known (built-in distances)
        Tensor go = none && anyGrad && rows.outShape() != null ? call.gradOutputTensor(rows.dtype(), rows.outShape()) : null;
        double g = !none && call.backward ? call.gradOutputScalar() : 0;
        Tensor[] d = distances.forward(call, swap);
        DType dt = d[0].dtype();
        long[] outShape = d[0].shape();
        long m = d[0].numel();
        long[] flat = {m};
        if (none && anyGrad && go == null) go = call.gradOutputTensor(dt, outShape);
        if (go != null) go = go.reshape(m);

        Hinge hinge = new Hinge(margin, swap, dt == DType.F32);
        Tensor[] operands = swap ? new Tensor[] {d[0].reshape(m), d[1].reshape(m), d[2].reshape(m)}
                : new Tensor[] {d[0].reshape(m), d[1].reshape(m)};
        Tensor[] gd = null;
        if (anyGrad) {
            gd = new Tensor[operands.length];
            for (int k = 0; k < gd.length; k++) gd[k] = call.ws.uninitialized(dt, m);
        }
        if (none) {
            Tensor out = call.output(dt, outShape);
            call.ops.pointwise().apply(hinge, operands, flat, out.reshape(m), go, 0, gd);
        } else {
            double divisor = call.reduction() == Reduction.MEAN ? m : 1;
            double sum = call.ops.pointwise().apply(hinge, operands, flat, null, null, g / divisor, gd);
            call.outputScalar(dt, sum / divisor);
        }
        if (anyGrad) {
            Tensor[] gdFull = {gd[0].reshape(outShape), gd[1].reshape(outShape), swap ? gd[2].reshape(outShape) : null};
            Tensor[] grads = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                if (!call.wantsGrad(i)) continue;
                grads[i] = rows.rows() >= 0 ? call.grad(i).reshape(rows.rows(), rows.width()) : call.grad(i);
            }
            distances.backward(call, d, gdFull, grads[0], grads[1], grads[2]);
        }
    }

    /**
     * {@code max(0, margin + dp - dn)} with {@code dn = min(dn, ds)} under swap. For float32 the hinge argument is
     * formed in float32 as PyTorch does, so exact kinks fall on PyTorch's side.
     */
    record Hinge(double margin, boolean swap, boolean single) implements PointwiseFn {
        @Override
        public String name() {
            return swap ? "triplet_hinge_swap" : "triplet_hinge";
        }

        @Override
        public int arity() {
            return swap ? 3 : 2;
        }

        private double arg(double dp, double dn) {
            if (single) {
                float h = (float) margin + (float) dp - (float) dn;
                return h;
            }
            return margin + dp - dn;
        }

        @Override
        public double value(double dp, double dn, double ds, double unused) {
            double neg = swap ? Math.min(dn, ds) : dn;
            return Math.max(arg(dp, neg), 0);
        }

        @Override
        public void grad(double dp, double dn, double ds, double unused, double g, double[] out) {
            double neg = swap ? Math.min(dn, ds) : dn;
            double h = arg(dp, neg);
            double gh = h >= 0 ? g : 0;  // clamp_min passes the gradient at 0
            out[0] = gh;
            if (!swap) {
                out[1] = -gh;
                return;
            }
            // torch.minimum: a tie splits the gradient; otherwise it goes to the smaller (NaN: to both)
            double share = dn == ds ? -gh / 2 : -gh;
            out[1] = dn > ds ? 0 : share;
            out[2] = dn < ds ? 0 : share;
        }
    }

    /** Builder for {@link TripletMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, TripletMarginLoss> {
        private double margin = 1.0;
        private double p = 2.0;
        private double eps = 1e-6;
        private boolean swap;

        private Builder() {}

        /** PyTorch's {@code margin}; default 1.0; must be greater than 0. */
        public Builder margin(double margin) {
            if (!(margin > 0)) {
                throw new IllegalArgumentException("TripletMarginLoss: expected margin to be greater than 0, got " + margin);
            }
            this.margin = margin;
            return this;
        }

        /** PyTorch's {@code p}, the norm degree of the distance; default 2.0; any value but NaN. */
        public Builder p(double p) {
            if (Double.isNaN(p)) throw new IllegalArgumentException("TripletMarginLoss: p must not be NaN");
            this.p = p;
            return this;
        }

        /** PyTorch's {@code eps}, added to the difference before the norm; default 1e-6; any finite value. */
        public Builder eps(double eps) {
            if (!Double.isFinite(eps)) throw new IllegalArgumentException("TripletMarginLoss: eps must be finite, got " + eps);
            this.eps = eps;
            return this;
        }

        /** PyTorch's {@code swap}: use {@code min(d(a, n), d(p, n))} as the negative distance; default false. */
        public Builder swap(boolean swap) {
            this.swap = swap;
            return this;
        }

        @Override
        public TripletMarginLoss build() {
            return new TripletMarginLoss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.BackendRegistry;
import org.loss4j.internal.ops.MarginOps;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * Triplet loss with a chosen distance function between {@code anchor} a, {@code positive} p and {@code negative} n
 * (PyTorch's {@code nn.TripletMarginWithDistanceLoss}).
 *
 * <p>Unreduced: {@code l_i = max(d(a_i, p_i) - d(a_i, n_i) + margin, 0)}, where d is the {@code distance_function}.
 * With {@code swap}, {@code d(a, n)} is replaced by {@code min(d(a, n), d(p, n))}; at a tie each receives half the
 * gradient ({@code torch.minimum}); the gradient at a hinge argument of exactly 0 passes ({@code clamp_min}). Then
 * {@code mean}: the mean of all {@code l_i} (nan for an empty batch); {@code sum}: their sum; {@code none}: the
 * {@code l_i} themselves.
 *
 * <p>Arguments: {@code distance_function} (default {@code pairwise_distance}): a {@link Distance}, or by name
 * ({@link Distance#named}): {@code "pairwise_distance"}, PyTorch's {@code nn.PairwiseDistance()} =
 * {@code ||x1 - x2 + 1e-6||_2} over the last dimension; {@code "cosine"}, {@code 1 - F.cosine_similarity(x1, x2,
 * dim=-1)} with PyTorch's eps 1e-8 (norms clamped at eps). A user {@link Distance} without a gradient gives the
 * forward call only; backward calls throw {@link UnsupportedOperationException}. {@code margin} (default 1.0; must
 * be &gt; 0), {@code swap} (default false), {@code reduction} (default {@code mean}).
 *
 * <p>Shapes: anchor, positive, negative of one rank (PyTorch's check). Built-in distances: {@code (N, D)} or
 * {@code (D)} (any rank; the distance is over the last dimension; 0-dim is one triplet of D = 1), all of one shape
 * (loss4j does not broadcast them); output a scalar, or the input shape without its last dimension for
 * {@code none}. A user distance may take any shapes it handles; its three results must share one shape and the
 * anchor's dtype, and that is the output shape for {@code none}. Gradients: anchor, positive, negative.
 *
 * <pre>{@code
 * var loss = TripletMarginWithDistanceLoss.builder().distanceFunction("cosine").margin(0.5).build();
 * LossResult r = loss.forwardBackward(anchor, positive, negative);   // each (N, D)
 *
 * // a user distance (forward only unless it also gives a gradient, see Distance.of)
 * var l1 = TripletMarginWithDistanceLoss.builder().distanceFunction((x, y) -> myL1RowDistance(x, y)).build();
 * Tensor value = l1.forward(anchor, positive, negative);
 * }</pre>
 */
public final class TripletMarginWithDistanceLoss extends Loss {

    private static final List<String> ARGS = List.of("anchor", "positive", "negative");
    private static final Set<String> DIFF = Set.of("anchor", "positive", "negative");

    private final Distance distance;
    private final double margin;
    private final boolean swap;

    private TripletMarginWithDistanceLoss(Builder b) {
        super(LossBuilder.standard("TripletMarginWithDistanceLoss", b.reduction), b.backend);
        this.distance = b.distance;
        this.margin = b.margin;
        this.swap = b.swap;
    }

    /** TripletMarginWithDistanceLoss with PyTorch's defaults (pairwise_distance, margin 1.0, no swap, mean). */
    public static TripletMarginWithDistanceLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch keyword options: {@code distance_function} (a {@link Distance} or a built-in's name),
     * {@code margin}, {@code swap}, {@code reduction}.
     */
    public static TripletMarginWithDistanceLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        Object f = o.getObject("distance_function");
        if (f instanceof String s) b.distanceFunction(s);
        else if (f instanceof Distance d) b.distanceFunction(d);
        else if (f != null) {
            throw new IllegalArgumentException("TripletMarginWithDistanceLoss option 'distance_function' must be a "
                    + "Distance or one of the names " + Distance.NAMES + ", got " + f + " (" + f.getClass().getSimpleName() + ")");
        }
        b.margin(o.getDouble("margin", 1.0)).swap(o.getBoolean("swap", false));
        o.finish();
        return b.build();
    }

    /** The distance function. */
    public Distance distanceFunction() {
        return distance;
    }

    public double margin() {
        return margin;
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
        return "TripletMarginWithDistanceLoss";
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
        return builder().reduction(reduction).backend(backend).distanceFunction(distance).margin(margin).swap(swap).build();
    }

    @Override
    List<String> opGroups() {
        return distance instanceof Builtin ? List.of("margin", "pointwise", "reduce") : List.of("pointwise", "reduce");
    }

    @Override
    public String toString() {
        return "TripletMarginWithDistanceLoss(distance_function=" + distance + ", margin=" + margin + ", swap=" + swap
                + ", reduction=" + reduction.torchName() + ")";
    }

    @Override
    void compute(Call call) {
        boolean anyGrad = call.wantsGrad(0) || call.wantsGrad(1) || call.wantsGrad(2);
        if (anyGrad && !distance.hasGradient()) {
            throw new UnsupportedOperationException("the distance_function " + distance + " has no gradient, so "
                    + "TripletMarginWithDistanceLoss gives the forward call only; use Distance.of(distance, gradient) "
                    + "for backward calls");
        }
        if (distance instanceof Builtin b) {
            TripletMarginLoss.Rows rows = TripletMarginLoss.Rows.of(call, true);
            TripletMarginLoss.Distances d = b.kind == Builtin.Kind.COSINE
                    ? new CosineDistance(b.eps, rows) : new TripletMarginLoss.PairwiseDistance(b.p, b.eps, rows);
            rows.checkNorm(b.p);
            TripletMarginLoss.run(call, rows, margin, swap, d);
        } else {
            TripletMarginLoss.Rows rows = TripletMarginLoss.Rows.of(call, false);
            TripletMarginLoss.run(call, rows, margin, swap, new UserDistance(distance, rows));
        }
    }

    // ------------------------------------------------------------------ distances

    /**
     * A distance between two tensors for {@link TripletMarginWithDistanceLoss}, e.g. one value per row. Built-ins:
     * {@link #pairwise()}, {@link #cosine()}, {@link #named(String)}. A lambda gives a forward-only distance;
     * {@link #of(Distance, DistanceGradient)} adds its gradient.
     */
    @FunctionalInterface
    public interface Distance {

        /** Names accepted by {@link #named(String)} (and by {@code fromOptions}). */
        List<String> NAMES = List.of("pairwise_distance", "cosine");

        /**
         * The distances between {@code x1} and {@code x2}: a floating tensor of their dtype, the same shape for every
         * pair of a call (e.g. {@code (N)} for {@code (N, D)} inputs). Must not keep the arguments.
         */
        Tensor distance(Tensor x1, Tensor x2);

        /** True if {@link #gradient} is implemented; a distance without one gives forward calls only. */
        default boolean hasGradient() {
            return false;
        }

        /**
         * The gradients {@code {d/dx1, d/dx2}} of {@code sum(gradDistance * distance(x1, x2))}, of the shapes and dtype
         * of x1 and x2 (a null entry means zero). {@code gradDistance} is only valid during the call.
         */
        default Tensor[] gradient(Tensor x1, Tensor x2, Tensor gradDistance) {
            throw new UnsupportedOperationException("the distance function " + this + " has no gradient");
        }

        /** A user distance with its gradient. */
        static Distance of(Distance distance, DistanceGradient gradient) {
            if (distance == null || gradient == null) {
                throw new IllegalArgumentException("distance and gradient must not be null");
            }
            return new Distance() {
                @Override
                public Tensor distance(Tensor x1, Tensor x2) {
                    return distance.distance(x1, x2);
                }

                @Override
                public boolean hasGradient() {
                    return true;
                }

                @Override
                public Tensor[] gradient(Tensor x1, Tensor x2, Tensor gradDistance) {
                    return gradient.gradient(x1, x2, gradDistance);
                }

                @Override
                public String toString() {
                    return "Distance.of(" + distance + ", " + gradient + ")";
                }
            };
        }

        /** PyTorch's default, {@code nn.PairwiseDistance()}: {@code ||x1 - x2 + 1e-6||_2} over the last dimension. */
        static Distance pairwise() {
            return Builtin.PAIRWISE;
        }

        /** {@code nn.PairwiseDistance(p, eps)}: {@code ||x1 - x2 + eps||_p} over the last dimension (p not NaN). */
        static Distance pairwise(double p, double eps) {
            if (Double.isNaN(p)) throw new IllegalArgumentException("pairwise distance: p must not be NaN");
            if (!Double.isFinite(eps)) throw new IllegalArgumentException("pairwise distance: eps must be finite, got " + eps);
            return new Builtin("pairwise_distance(p=" + p + ", eps=" + eps + ")", Builtin.Kind.PAIRWISE, p, eps);
        }

        /** {@code 1 - F.cosine_similarity(x1, x2, dim=-1, eps=1e-8)}. */
        static Distance cosine() {
            return Builtin.COSINE_DISTANCE;
        }

        /** A built-in distance by name: {@code "pairwise_distance"} or {@code "cosine"}. */
        static Distance named(String name) {
            if ("pairwise_distance".equals(name)) return pairwise();
            if ("cosine".equals(name)) return cosine();
            throw new IllegalArgumentException("unknown distance_function '" + name + "'; built-in: " + NAMES
                    + " (or pass a TripletMarginWithDistanceLoss.Distance)");
        }
    }

    /** The gradient of a user {@link Distance}, see {@link Distance#gradient}. */
    @FunctionalInterface
    public interface DistanceGradient {
        Tensor[] gradient(Tensor x1, Tensor x2, Tensor gradDistance);
    }

    /** The built-in distances, served by the margin kernels. */
    private record Builtin(String name, Kind kind, double p, double eps) implements Distance {
        enum Kind { PAIRWISE, COSINE }

        static final Builtin PAIRWISE = new Builtin("pairwise_distance", Kind.PAIRWISE, 2.0, 1e-6);
        static final Builtin COSINE_DISTANCE = new Builtin("cosine", Kind.COSINE, 0, 1e-8);

        @Override
        public boolean hasGradient() {
            return true;
        }

        private static Ops ops() {
            return BackendRegistry.ops(Backends.defaultBackend());
        }

        private long[] check(Tensor x1, Tensor x2) {
            Check.floating("x1", x1);
            Check.floating("x2", x2);
            Check.sameDtype("x1", x1, "x2", x2);
            Check.sameShape("x1", x1, "x2", x2);
            if (kind == Kind.PAIRWISE && x1.dim() > 0 && x1.size(x1.dim() - 1) == 0 && (p < 0 || Double.isInfinite(p))) {
                throw new IllegalArgumentException("cannot compute the " + p + " norm over the empty last dimension of x1 "
                        + Check.shape(x1));
            }
            return x1.dim() == 0 ? new long[0] : Arrays.copyOf(x1.shape(), x1.dim() - 1);
        }

        private static long width(Tensor x) {
            return x.dim() == 0 ? 1 : x.size(x.dim() - 1);
        }

        @Override
        public Tensor distance(Tensor x1, Tensor x2) {
            long[] shape = check(x1, x2);
            Tensor out = Tensor.zeros(x1.dtype(), shape);
            long rows = out.numel();
            Tensor a = x1.reshape(rows, width(x1));
            Tensor b = x2.reshape(rows, width(x1));
            MarginOps m = ops().margin();
            if (kind == Kind.PAIRWISE) {
                m.pairwiseDistance(p, eps, a, b, out.reshape(rows));
            } else {
                m.cosineSimilarity(MarginOps.Cosine.CLAMPED_NORM, eps, a, b, out.reshape(rows));
                for (long i = 0; i < rows; i++) out.setDouble(i, 1 - out.getDouble(i));
            }
            return out;
        }

        @Override
        public Tensor[] gradient(Tensor x1, Tensor x2, Tensor gradDistance) {
            long[] shape = check(x1, x2);
            Check.output("gradDistance", gradDistance, x1.dtype(), shape);
            long rows = gradDistance.numel();
            long w = width(x1);
            Tensor g1 = Tensor.zeros(x1.dtype(), x1.shape());
            Tensor g2 = Tensor.zeros(x1.dtype(), x1.shape());
            MarginOps m = ops().margin();
            if (kind == Kind.PAIRWISE) {
                Tensor d = distance(x1, x2);
                m.pairwiseDistanceBackward(p, eps, x1.reshape(rows, w), x2.reshape(rows, w), d.reshape(rows),
                        gradDistance.reshape(rows), 0, g1.reshape(rows, w), false, g2.reshape(rows, w), false);
            } else {
                Tensor neg = Tensor.zeros(x1.dtype(), rows);
                for (long i = 0; i < rows; i++) neg.setDouble(i, -gradDistance.getDouble(i));
                m.cosineSimilarityBackward(MarginOps.Cosine.CLAMPED_NORM, eps, x1.reshape(rows, w), x2.reshape(rows, w),
                        neg, 0, g1.reshape(rows, w), false, g2.reshape(rows, w), false);
            }
            return new Tensor[] {g1, g2};
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** {@code 1 - cosine_similarity} over rows, on the margin kernels. */
    private record CosineDistance(double eps, TripletMarginLoss.Rows r) implements TripletMarginLoss.Distances {
        private Tensor one(Call call, Tensor x1, Tensor x2) {
            long n = r.rows();
            Tensor cos = call.ws.uninitialized(r.dtype(), n);
            call.ops.margin().cosineSimilarity(MarginOps.Cosine.CLAMPED_NORM, eps, x1, x2, cos);
            Tensor d = call.ws.uninitialized(r.dtype(), r.outShape());
            call.ops.pointwise().apply(OneMinus.INSTANCE, new Tensor[] {cos}, new long[] {n}, d.reshape(n), null, 0, null);
            return d;
        }

        @Override
        public Tensor[] forward(Call call, boolean swap) {
            return new Tensor[] {one(call, r.anchor(), r.positive()), one(call, r.anchor(), r.negative()),
                    swap ? one(call, r.positive(), r.negative()) : null};
        }

        @Override
        public void backward(Call call, Tensor[] d, Tensor[] gd, Tensor gA, Tensor gP, Tensor gN) {
            var m = call.ops.margin();
            var cos = MarginOps.Cosine.CLAMPED_NORM;
            // d(1 - cos) = -d(cos)
            for (Tensor g : gd) {
                if (g != null) call.ops.reduce().scale(g, -1, g);
            }
            long n = r.rows();
            m.cosineSimilarityBackward(cos, eps, r.anchor(), r.positive(), gd[0].reshape(n), 0, gA, false, gP, false);
            m.cosineSimilarityBackward(cos, eps, r.anchor(), r.negative(), gd[1].reshape(n), 0, gA, true, gN, false);
            if (gd[2] != null) {
                m.cosineSimilarityBackward(cos, eps, r.positive(), r.negative(), gd[2].reshape(n), 0, gP, true, gN, true);
            }
        }
    }

    /** A user distance: called on the arguments as given; its results and gradients are checked. */
    private record UserDistance(Distance f, TripletMarginLoss.Rows r) implements TripletMarginLoss.Distances {
        private Tensor call(Tensor x1, Tensor x2, String pair, Tensor like) {
            Tensor d = f.distance(x1, x2);
            if (d == null) throw new IllegalArgumentException("distance_function returned null for " + pair);
            Check.floating("distance_function(" + pair + ")", d);
            if (d.dtype() != r.dtype()) {
                throw new IllegalArgumentException("distance_function(" + pair + ") must have the anchor's dtype "
                        + r.dtype().torchName() + ", got " + d.dtype().torchName());
            }
            if (like != null && !Arrays.equals(d.shape(), like.shape())) {
                throw new IllegalArgumentException("distance_function must give one shape for every pair: "
                        + "distance_function(anchor, positive) " + Check.shape(like) + ", distance_function(" + pair
                        + ") " + Check.shape(d));
            }
            return d;
        }

        @Override
        public Tensor[] forward(Call call, boolean swap) {
            Tensor dp = call(r.anchor(), r.positive(), "anchor, positive", null);
            Tensor dn = call(r.anchor(), r.negative(), "anchor, negative", dp);
            Tensor ds = swap ? call(r.positive(), r.negative(), "positive, negative", dp) : null;
            return new Tensor[] {dp, dn, ds};
        }

        private Tensor[] grad(Tensor x1, Tensor x2, Tensor gd, String pair) {
            Tensor[] g = f.gradient(x1, x2, gd);
            if (g == null || g.length != 2) {
                throw new IllegalArgumentException("the gradient of distance_function(" + pair + ") must return 2 tensors "
                        + "{d/dx1, d/dx2}, got " + (g == null ? "null" : g.length));
            }
            String[] names = pair.split(", ");
            Tensor[] xs = {x1, x2};
            for (int k = 0; k < 2; k++) {
                if (g[k] != null) Check.output("gradient of distance_function w.r.t. " + names[k], g[k], r.dtype(), xs[k].shape());
            }
            return g;
        }

        @Override
        public void backward(Call call, Tensor[] d, Tensor[] gd, Tensor gA, Tensor gP, Tensor gN) {
            Tensor[] ap = grad(r.anchor(), r.positive(), gd[0], "anchor, positive");
            Tensor[] an = grad(r.anchor(), r.negative(), gd[1], "anchor, negative");
            Tensor[] pn = gd[2] != null ? grad(r.positive(), r.negative(), gd[2], "positive, negative") : new Tensor[2];
            sumInto(call, gA, ap[0], an[0]);
            sumInto(call, gP, ap[1], pn[0]);
            sumInto(call, gN, an[1], pn[1]);
        }

        private static void sumInto(Call call, Tensor out, Tensor a, Tensor b) {
            if (out == null) return;
            if (a == null && b == null) call.ops.reduce().fill(out, 0);
            else if (a == null || b == null) call.ops.reduce().copy(a == null ? b : a, out);
            else call.ops.pointwise().apply(Add.INSTANCE, new Tensor[] {a, b}, out.shape(), out, null, 0, null);
        }
    }

    /** {@code 1 - a}. */
    private static final class OneMinus implements PointwiseFn {
        static final OneMinus INSTANCE = new OneMinus();

        @Override
        public String name() {
            return "one_minus";
        }

        @Override
        public int arity() {
            return 1;
        }

        @Override
        public double value(double a, double b, double c, double d) {
            return 1 - a;
        }

        @Override
        public void grad(double a, double b, double c, double d, double g, double[] out) {
            out[0] = -g;
        }
    }

    /** {@code a + b}. */
    private static final class Add implements PointwiseFn {
        static final Add INSTANCE = new Add();

        @Override
        public String name() {
            return "add";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public double value(double a, double b, double c, double d) {
            return a + b;
        }

        @Override
        public void grad(double a, double b, double c, double d, double g, double[] out) {
            out[0] = g;
            out[1] = g;
        }
    }

    /** Builder for {@link TripletMarginWithDistanceLoss}. */
    public static final class Builder extends LossBuilder<Builder, TripletMarginWithDistanceLoss> {
        private Distance distance = Distance.pairwise();
        private double margin = 1.0;
        private boolean swap;

        private Builder() {}

        /** PyTorch's {@code distance_function}; default {@link Distance#pairwise()}; null means the default. */
        public Builder distanceFunction(Distance distance) {
            this.distance = distance == null ? Distance.pairwise() : distance;
            return this;
        }

        /** A built-in {@code distance_function} by name: {@code "pairwise_distance"} or {@code "cosine"}. */
        public Builder distanceFunction(String name) {
            return distanceFunction(Distance.named(name));
        }

        /** PyTorch's {@code margin}; default 1.0; must be greater than 0. */
        public Builder margin(double margin) {
            if (!(margin > 0)) {
                throw new IllegalArgumentException("TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                        + margin);
            }
            this.margin = margin;
            return this;
        }

        /** PyTorch's {@code swap}: use {@code min(d(a, n), d(p, n))} as the negative distance; default false. */
        public Builder swap(boolean swap) {
            this.swap = swap;
            return this;
        }

        @Override
        public TripletMarginWithDistanceLoss build() {
            return new TripletMarginWithDistanceLoss(this);
        }
    }
}

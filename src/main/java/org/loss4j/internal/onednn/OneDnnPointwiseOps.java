package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.LongAdder;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;
import org.loss4j.internal.ops.PointwiseOps;
import org.loss4j.internal.workspace.Workspace;

/**
 * Element-wise loss terms whose float32 arithmetic oneDNN does exactly (sub, mul, div, abs, square, min, linear, clip,
 * comparisons) as chains of binary primitives with post-ops ({@link PointwiseChain}), forward and gradients; the sum
 * as oneDNN row sums of {@value #SUM_BLOCK} elements finished in double. Everything else is the Java group's.
 *
 * <p>Exactness. Each chain performs the float32 operations of the term's {@code valueF32}/{@code gradF32} (the branch
 * of a kink is chosen by the same float32 comparison, as a 0/1 mask from a comparison primitive), so values agree with
 * the Java backend bit for bit or within a few ulp. oneDNN's {@code max}/{@code min}/{@code relu}/{@code clip} drop a
 * NaN operand (measured: {@code relu(NaN) = 0}, {@code clip(NaN) = alpha}, {@code max(NaN, y) = y}) and masks multiply
 * {@code 0 * inf} into NaN, so the chains are exact only for finite inputs. They are written so that any non-finite
 * input (or an overflow) makes that element's term non-finite; a call whose sum or upstream gradient is not finite is
 * then redone by the Java group, which gives PyTorch's exact NaN/inf behaviour (kinks of an infinite input included).
 *
 * <p>Comparisons are only ever the base operation of a chain and every chain with post-ops is a binary primitive: see
 * {@link PointwiseChain} for the oneDNN 3.8.1 limits behind that.
 */
final class OneDnnPointwiseOps implements PointwiseOps {

    /**
     * Elements per oneDNN partial sum. oneDNN accumulates a row sequentially in float32: the worst case measured (a
     * constant 0.1) is off by 1.5e-7 relative at 256, 6e-7 at 1024, 2.4e-6 at 4096, at 1000003 and 1.6e7 elements alike.
     */
    static final long SUM_BLOCK = 256;

    private static final String NATIVE_TERMS = "squared_error (MSELoss), absolute_error (L1Loss, SmoothL1Loss beta=0), "
            + "smooth_l1_error (SmoothL1Loss), huber_error (HuberLoss), ranking_hinge (MarginRankingLoss), "
            + "embedding_hinge (HingeEmbeddingLoss)";

    /** Calls served by the chains, and calls they started and handed to Java for a non-finite value (tests read them). */
    static final LongAdder SERVED = new LongAdder(), REDONE_IN_JAVA = new LongAdder();

    private final PointwiseOps java;

    OneDnnPointwiseOps(PointwiseOps java) {
        this.java = java;
    }

    @Override
    public String servedBy() {
        return "onednn (binary/eltwise chains with post-ops, float32 same-shape operands in native memory: " + NATIVE_TERMS
                + "; sum: oneDNN row sums finished in double); java for the other terms (they need exp/log/sqrt, which "
                + "oneDNN approximates beyond loss4j's float32 tolerance), broadcast operands, and calls with non-finite "
                + "inputs (redone in Java for PyTorch's exact NaN/inf behaviour)";
    }

    @Override
    public String servedBy(DType dtype) {
        return dtype == DType.F32 ? servedBy() : "java (oneDNN's CPU engine has no " + dtype.torchName() + " kernels)";
    }

    @Override
    public double apply(PointwiseFn fn, Tensor[] operands, long[] outShape, Tensor outNone, Tensor gradOut, double gradScale,
                        Tensor[] grads) {
        Term term = Term.of(fn);
        if (term == null || !eligible(term, operands, outShape, outNone, gradOut, gradScale, grads)) {
            return java.apply(fn, operands, outShape, outNone, gradOut, gradScale, grads);
        }
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        try {
            double sum = run(term, operands, outNone, gradOut, (float) gradScale, grads, ws);
            // float32 row sums can overflow where Java's double sum does not: only a finite sum is kept
            if (Double.isFinite(sum)) {
                SERVED.increment();
                return sum;
            }
        } finally {
            ws.release(mark);
        }
        // a non-finite input, term or upstream gradient: the Java group gives PyTorch's exact NaN/inf behaviour
        REDONE_IN_JAVA.increment();
        return java.apply(fn, operands, outShape, outNone, gradOut, gradScale, grads);
    }

    /**
     * Float32, native, every operand already of the output's size (no broadcasting: operands of equal element count
     * can still broadcast, e.g. [6, 1] against [6] gives [6, 6]), no output overlapping another buffer, finite
     * gradient scale, and large enough to pay for primitive executions.
     */
    private static boolean eligible(Term term, Tensor[] operands, long[] outShape, Tensor outNone, Tensor gradOut,
                                    double gradScale, Tensor[] grads) {
        int k = term.arity();
        long n = 1;
        for (long d : outShape) n *= d;
        if (n == 0 || !OneDnnBackend.worthNative(n)) return false;
        for (int j = 0; j < k; j++) {
            if (!native32(operands[j], n)) return false;
        }
        if (outNone != null && !native32(outNone, n)) return false;
        if (gradOut != null && !native32(gradOut, n)) return false;
        if (gradOut == null && grads != null && !Float.isFinite((float) gradScale)) return false;
        if (grads != null) {
            for (int j = 0; j < grads.length; j++) {
                if (grads[j] == null) continue;
                if (j >= k || !term.differentiable(j) || !native32(grads[j], n)) return false;
            }
        }
        // outputs are written in several passes while inputs are still read: no output may overlap any other buffer
        Tensor[] written = new Tensor[1 + (grads == null ? 0 : grads.length)];
        written[0] = outNone;
        if (grads != null) System.arraycopy(grads, 0, written, 1, grads.length);
        for (int w = 0; w < written.length; w++) {
            if (written[w] == null) continue;
            for (int j = 0; j < k; j++) {
                if (overlap(written[w], operands[j])) return false;
            }
            if (gradOut != null && overlap(written[w], gradOut)) return false;
            for (int v = w + 1; v < written.length; v++) {
                if (written[v] != null && overlap(written[w], written[v])) return false;
            }
        }
        return true;
    }

    private static boolean native32(Tensor t, long n) {
        return t.dtype() == DType.F32 && t.numel() == n && t.segment().isNative();
    }

    private static boolean overlap(Tensor x, Tensor y) {
        long xa = x.segment().address(), ya = y.segment().address();
        return xa < ya + y.byteSize() && ya < xa + x.byteSize();
    }

    /**
     * The native pass: terms, sum, gradients. Returns NaN where the Java group must redo the call (a non-finite sum or
     * upstream gradient).
     */
    private static double run(Term term, Tensor[] operands, Tensor outNone, Tensor gradOut, float g, Tensor[] grads,
                              Workspace ws) {
        long n = operands[0].numel();
        Chains x = new Chains(n, operands, gradOut, g, term.parameter(), ws);
        if (gradOut != null && grads != null && !Double.isFinite(x.sum(gradOut.segment()))) return Double.NaN;
        MemorySegment v = outNone != null ? outNone.segment() : x.scratch();
        term.values(x, v);
        double sum = x.sum(v);
        if (!Double.isFinite(sum)) return Double.NaN;
        if (grads != null) term.gradients(x, grads);
        return sum;
    }

    /** Buffers and helpers of one call: operands, the upstream gradient (a vector or a 1-element scalar), constants. */
    static final class Chains {
        final long n;
        final MemorySegment a, b, c;
        /** The upstream gradient: {@code gradOut}, or a 1-element tensor holding the scalar. */
        final MemorySegment g;
        final boolean gVector;
        /** 1-element constants. */
        final MemorySegment zero, one, minusOne, param;
        /** Intermediates a term keeps from {@link Term#values} for {@link Term#gradients}. */
        MemorySegment kept0, kept1;
        private final Workspace ws;

        Chains(long n, Tensor[] operands, Tensor gradOut, float gradScale, float param, Workspace ws) {
            this.n = n;
            this.ws = ws;
            this.a = operands[0].segment();
            this.b = operands.length > 1 && operands[1] != null ? operands[1].segment() : null;
            this.c = operands.length > 2 && operands[2] != null ? operands[2].segment() : null;
            MemorySegment k = ws.uninitialized(DType.F32, 5).segment();
            float[] values = {0f, 1f, -1f, param, gradScale};
            for (int i = 0; i < values.length; i++) k.setAtIndex(ValueLayout.JAVA_FLOAT, i, values[i]);
            this.zero = k.asSlice(0, 4);
            this.one = k.asSlice(4, 4);
            this.minusOne = k.asSlice(8, 4);
            this.param = k.asSlice(12, 4);
            this.gVector = gradOut != null;
            this.g = gradOut != null ? gradOut.segment() : k.asSlice(16, 4);
        }

        /** A scratch vector of {@code n} floats from the workspace (contents undefined). */
        MemorySegment scratch() {
            return ws.uninitialized(DType.F32, n).segment();
        }

        /** {@code chain} then {@code x * g} (the upstream gradient, vector or scalar). */
        PointwiseChain timesG(PointwiseChain chain) {
            return gVector ? chain.thenWith(dnnl_binary_mul()) : chain.thenWithScalar(dnnl_binary_mul());
        }

        /** {@code dst = -src}. */
        void negate(MemorySegment src, MemorySegment dst) {
            PointwiseChain.eltwise(dnnl_eltwise_linear(), -1f, 0f).run(n, src, dst);
        }

        /**
         * The sum of the {@code n} floats at {@code v} in double: oneDNN sums rows of {@link #SUM_BLOCK} in float32,
         * the row sums and the tail are added here.
         */
        double sum(MemorySegment v) {
            long rows = n / SUM_BLOCK;
            double s = 0;
            if (rows > 0) {
                MemorySegment p = ws.uninitialized(DType.F32, rows).segment();
                PointwiseChain.rowSums(rows, SUM_BLOCK, v, p);
                for (long i = 0; i < rows; i++) s += p.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
            for (long i = rows * SUM_BLOCK; i < n; i++) s += v.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            return s;
        }
    }

    /** A loss term oneDNN runs natively, recognised from its {@link PointwiseFn}. */
    abstract static sealed class Term {
        private final int arity;
        private final float parameter;

        Term(int arity, float parameter) {
            this.arity = arity;
            this.parameter = parameter;
        }

        int arity() {
            return arity;
        }

        float parameter() {
            return parameter;
        }

        /** Whether the fn writes a gradient for operand {@code j}. */
        boolean differentiable(int j) {
            return true;
        }

        /** The terms into {@code v}; exact for finite inputs and non-finite wherever an input is. */
        abstract void values(Chains x, MemorySegment v);

        /** The wanted gradients (inputs are finite here: the sum was). */
        abstract void gradients(Chains x, Tensor[] grads);

        /**
         * The term for {@code fn} (by {@link PointwiseFn#kind()}, option from {@link PointwiseFn#parameter()}), or null
         * for the Java group. An option float32 cannot hold with the exact results below (overflow of z^2, a
         * subnormal 1/beta) leaves the term to Java.
         */
        static Term of(PointwiseFn fn) {
            float p = (float) fn.parameter();
            return switch (fn.kind()) {
                case SQUARED_ERROR -> SquaredError.INSTANCE;
                case ABSOLUTE_ERROR -> AbsoluteError.INSTANCE;
                case SMOOTH_L1 -> moderate(p) ? new SmoothL1Error(p) : null;
                case HUBER -> moderate(p) ? new HuberError(p) : null;
                case RANKING_HINGE -> Float.isFinite(p) ? new RankingHinge(p) : null;
                case EMBEDDING_HINGE -> Float.isFinite(p) ? new EmbeddingHinge(p) : null;
                case LOGITS_BCE, KL_DIV, OTHER -> null;
            };
        }

        /** beta/delta in [2^-60, 2^60]: z^2 for z below it cannot overflow, 1/beta is normal. */
        private static boolean moderate(float p) {
            return p >= 0x1p-60f && p <= 0x1p60f;
        }
    }

    /** MSELoss: {@code (a - b)^2}; gradient {@code 2 (a - b) g}. */
    static final class SquaredError extends Term {
        static final SquaredError INSTANCE = new SquaredError();

        private SquaredError() {
            super(2, 0);
        }

        @Override
        void values(Chains x, MemorySegment v) {
            PointwiseChain.binary(dnnl_binary_sub()).then(dnnl_eltwise_square(), 0, 0).run(x.n, x.a, x.b, v);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            boolean first = grads[0] != null;
            MemorySegment out = (first ? grads[0] : grads[1]).segment();
            PointwiseChain chain = x.timesG(PointwiseChain.binary(dnnl_binary_sub())).then(dnnl_eltwise_linear(), first ? 2f : -2f, 0f);
            chain.run(x.n, x.a, x.b, out, x.g);
            if (first && grads[1] != null) x.negate(out, grads[1].segment());
        }
    }

    /** L1Loss: {@code |a - b|}; gradient {@code sgn(a - b) g} with PyTorch's sgn (0 at a == b). */
    static final class AbsoluteError extends Term {
        static final AbsoluteError INSTANCE = new AbsoluteError();

        private AbsoluteError() {
            super(2, 0);
        }

        @Override
        void values(Chains x, MemorySegment v) {
            PointwiseChain.binary(dnnl_binary_sub()).then(dnnl_eltwise_abs(), 0, 0).run(x.n, x.a, x.b, v);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            // sgn(a - b) = [b < a] - [a < b], exactly 0 at a == b; times g exactly
            boolean first = grads[0] != null;
            MemorySegment out = (first ? grads[0] : grads[1]).segment();
            MemorySegment lt = x.scratch();
            MemorySegment p = first ? x.a : x.b, q = first ? x.b : x.a;
            PointwiseChain.binary(dnnl_binary_lt()).run(x.n, p, q, lt);
            x.timesG(PointwiseChain.binary(dnnl_binary_lt()).thenWith(dnnl_binary_sub())).run(x.n, q, p, out, lt, x.g);
            if (first && grads[1] != null) x.negate(out, grads[1].segment());
        }
    }

    /**
     * SmoothL1Loss: {@code z < beta ? 0.5 z^2 / beta : z - 0.5 beta}, {@code z = |a - b|}, computed as
     * {@code 0.5 m^2 / beta + (z - m)} with {@code m = min(z, beta)}: the same float32 operations as the Java term for
     * {@code z < beta} (where {@code z - m = 0}), within an ulp beyond. Gradient {@code clamp((a - b) / beta, -1, 1) g}.
     */
    static final class SmoothL1Error extends Term {
        SmoothL1Error(float beta) {
            super(2, beta);
        }

        @Override
        void values(Chains x, MemorySegment v) {
            MemorySegment z = x.scratch(), e = x.scratch();
            PointwiseChain.binary(dnnl_binary_sub()).then(dnnl_eltwise_abs(), 0, 0).run(x.n, x.a, x.b, z);
            // e = z - min(z, beta), as -(min(z, beta) - z): NaN and inf z stay non-finite (min(NaN, beta) is beta)
            PointwiseChain.binaryScalar(dnnl_binary_min()).thenWith(dnnl_binary_sub()).then(dnnl_eltwise_linear(), -1f, 0f)
                    .run(x.n, z, x.param, e, z);
            PointwiseChain.binaryScalar(dnnl_binary_min()).then(dnnl_eltwise_square(), 0, 0).then(dnnl_eltwise_linear(), 0.5f, 0f)
                    .thenWithScalar(dnnl_binary_div()).thenWith(dnnl_binary_add()).run(x.n, z, x.param, v, x.param, e);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            boolean first = grads[0] != null;
            MemorySegment out = (first ? grads[0] : grads[1]).segment();
            PointwiseChain chain = x.timesG(PointwiseChain.binary(dnnl_binary_sub()).thenWithScalar(dnnl_binary_div())
                    .then(dnnl_eltwise_clip(), -1f, 1f));
            if (!first) chain = chain.then(dnnl_eltwise_linear(), -1f, 0f);
            chain.run(x.n, x.a, x.b, out, x.param, x.g);
            if (first && grads[1] != null) x.negate(out, grads[1].segment());
        }
    }

    /**
     * HuberLoss: {@code z < delta ? 0.5 z^2 : delta (z - 0.5 delta)} as {@code 0.5 m^2 + delta (z - m)},
     * {@code m = min(z, delta)}; gradient {@code clamp(a - b, -delta, delta) g}.
     */
    static final class HuberError extends Term {
        HuberError(float delta) {
            super(2, delta);
        }

        @Override
        void values(Chains x, MemorySegment v) {
            float delta = parameter();
            MemorySegment z = x.scratch(), e = x.scratch();
            PointwiseChain.binary(dnnl_binary_sub()).then(dnnl_eltwise_abs(), 0, 0).run(x.n, x.a, x.b, z);
            // e = delta (z - min(z, delta)) = -delta (min(z, delta) - z)
            PointwiseChain.binaryScalar(dnnl_binary_min()).thenWith(dnnl_binary_sub()).then(dnnl_eltwise_linear(), -delta, 0f)
                    .run(x.n, z, x.param, e, z);
            PointwiseChain.binaryScalar(dnnl_binary_min()).then(dnnl_eltwise_square(), 0, 0).then(dnnl_eltwise_linear(), 0.5f, 0f)
                    .thenWith(dnnl_binary_add()).run(x.n, z, x.param, v, e);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            float delta = parameter();
            boolean first = grads[0] != null;
            MemorySegment out = (first ? grads[0] : grads[1]).segment();
            PointwiseChain chain = x.timesG(PointwiseChain.binary(dnnl_binary_sub()).then(dnnl_eltwise_clip(), -delta, delta));
            if (!first) chain = chain.then(dnnl_eltwise_linear(), -1f, 0f);
            chain.run(x.n, x.a, x.b, out, x.g);
            if (first && grads[1] != null) x.negate(out, grads[1].segment());
        }
    }

    /**
     * MarginRankingLoss: {@code max(0, h)}, {@code h = -c (a - b) + margin} in float32 as the Java term; the hinge as
     * {@code [h > 0] h} (mask from a comparison). Gradients with the mask {@code [h >= 0]} (the kink passes the gradient,
     * as PyTorch's clamp_min): {@code -m c g}, {@code m c g}, {@code -m (a - b) g}.
     */
    static final class RankingHinge extends Term {
        RankingHinge(float margin) {
            super(3, margin);
        }

        @Override
        void values(Chains x, MemorySegment v) {
            MemorySegment h = x.kept0 = x.scratch();
            PointwiseChain.binary(dnnl_binary_sub()).thenWith(dnnl_binary_mul()).then(dnnl_eltwise_linear(), -1f, parameter())
                    .run(x.n, x.a, x.b, h, x.c);
            // (1 - [h <= 0]) h, then + 0 so that 0 * (negative h) = -0 becomes +0 as max(0, h) gives
            PointwiseChain.binaryScalar(dnnl_binary_le()).then(dnnl_eltwise_linear(), -1f, 1f).thenWith(dnnl_binary_mul())
                    .then(dnnl_eltwise_linear(), 1f, 0f).run(x.n, h, x.zero, v, h);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            // m = 1 - [h < 0], in place over h
            MemorySegment h = x.kept0;
            PointwiseChain.binaryScalar(dnnl_binary_lt()).then(dnnl_eltwise_linear(), -1f, 1f).run(x.n, h, x.zero, h);
            MemorySegment m = h;
            if (grads[0] != null || grads[1] != null) {
                boolean first = grads[0] != null;
                MemorySegment out = (first ? grads[0] : grads[1]).segment();
                x.timesG(PointwiseChain.binary(dnnl_binary_mul())).then(dnnl_eltwise_linear(), first ? -1f : 1f, 0f)
                        .run(x.n, m, x.c, out, x.g);
                if (first && grads[1] != null) x.negate(out, grads[1].segment());
            }
            if (grads[2] != null) {
                x.timesG(PointwiseChain.binary(dnnl_binary_sub()).thenWith(dnnl_binary_mul())).then(dnnl_eltwise_linear(), -1f, 0f)
                        .run(x.n, x.a, x.b, grads[2].segment(), m, x.g);
            }
        }
    }

    /**
     * HingeEmbeddingLoss: {@code [b != 1] max(0, margin - a) + [b != -1] a} with masks from comparisons (float32 as the
     * Java term); gradient {@code ([b != -1] - [b != 1][a <= margin]) g} ({@code a <= margin} is
     * {@code margin - a >= 0} in float32). The target has no gradient.
     */
    static final class EmbeddingHinge extends Term {
        EmbeddingHinge(float margin) {
            super(2, margin);
        }

        @Override
        boolean differentiable(int j) {
            return j == 0;
        }

        @Override
        void values(Chains x, MemorySegment v) {
            MemorySegment notOne = x.kept0 = x.scratch();
            MemorySegment notMinusOne = x.kept1 = x.scratch();
            MemorySegment self = x.scratch();
            PointwiseChain.binaryScalar(dnnl_binary_ne()).run(x.n, x.b, x.one, notOne);
            PointwiseChain.binaryScalar(dnnl_binary_ne()).run(x.n, x.b, x.minusOne, notMinusOne);
            PointwiseChain.binary(dnnl_binary_mul()).run(x.n, x.a, notMinusOne, self);
            // margin - a as -(a - margin); a NaN or infinite a makes self (NaN * 0, inf * 0) non-finite
            PointwiseChain.binaryScalar(dnnl_binary_sub()).then(dnnl_eltwise_linear(), -1f, 0f).then(dnnl_eltwise_relu(), 0f, 0f)
                    .thenWith(dnnl_binary_mul()).thenWith(dnnl_binary_add()).run(x.n, x.a, x.param, v, notOne, self);
        }

        @Override
        void gradients(Chains x, Tensor[] grads) {
            // -([a <= margin] [b != 1] - [b != -1]) g
            x.timesG(PointwiseChain.binaryScalar(dnnl_binary_le()).thenWith(dnnl_binary_mul()).thenWith(dnnl_binary_sub()))
                    .then(dnnl_eltwise_linear(), -1f, 0f).run(x.n, x.a, x.param, grads[0].segment(), x.kept0, x.kept1, x.g);
        }
    }
}

package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One oneDNN primitive over flat float32 vectors of {@code n} elements: a base operation (binary {@code src0 op src1},
 * or eltwise {@code f(src)}) followed by post-ops (eltwise, or binary with a second tensor), all in one pass. A binary
 * operand is either a full vector or a 1-element tensor broadcast over it (a runtime scalar such as the upstream
 * gradient, so that primitives do not depend on it). Immutable; equal chains on the same {@code n} share one cached
 * primitive.
 *
 * <p>Buffers for {@link #run}: {@code src0}, {@code src1} (binary base only), {@code dst}, then the second tensor of
 * each binary post-op in order. {@code dst} may be {@code src0} (in place).
 *
 * <p>oneDNN 3.8.1 limits, measured: an eltwise base with post-ops has no JIT kernel (reference code, slow), so chains
 * with post-ops start from a binary operation; a comparison ({@code lt}, {@code ne}, ...) as a binary post-op fails to
 * JIT on AVX-512 ({@code dnnl_runtime_error}, after which every JIT kernel created on that thread fails, as Xbyak's
 * error state is per thread), so comparisons are only ever the base operation.
 */
record PointwiseChain(boolean binaryBase, int alg, float alpha, float beta, boolean scalarSrc1, List<Step> steps) {

    /** A post-op: eltwise {@code alg(x; alpha, beta)}, or binary {@code alg(x, src1)} with a full or 1-element src1. */
    record Step(boolean binary, int alg, float alpha, float beta, boolean scalar) {}

    /** {@code src0 alg src1}, both full vectors. */
    static PointwiseChain binary(int alg) {
        return new PointwiseChain(true, alg, 0, 0, false, List.of());
    }

    /** {@code src0 alg s}, {@code s} a 1-element tensor. */
    static PointwiseChain binaryScalar(int alg) {
        return new PointwiseChain(true, alg, 0, 0, true, List.of());
    }

    /** The eltwise {@code alg(src; alpha, beta)}; add no post-ops to it (see the class comment). */
    static PointwiseChain eltwise(int alg, float alpha, float beta) {
        return new PointwiseChain(false, alg, alpha, beta, false, List.of());
    }

    /** Then the eltwise {@code alg(x; alpha, beta)}. */
    PointwiseChain then(int eltwiseAlg, float alpha, float beta) {
        return with(new Step(false, eltwiseAlg, alpha, beta, false));
    }

    /** Then {@code x alg t}, {@code t} a full vector. */
    PointwiseChain thenWith(int binaryAlg) {
        return with(new Step(true, binaryAlg, 0, 0, false));
    }

    /** Then {@code x alg s}, {@code s} a 1-element tensor. */
    PointwiseChain thenWithScalar(int binaryAlg) {
        return with(new Step(true, binaryAlg, 0, 0, true));
    }

    private PointwiseChain with(Step s) {
        List<Step> l = new ArrayList<>(steps);
        l.add(s);
        return new PointwiseChain(binaryBase, alg, alpha, beta, scalarSrc1, List.copyOf(l));
    }

    /** The cached primitive of this chain on {@code n} elements. */
    OnePrimitive primitive(long n) {
        List<Integer> ids = new ArrayList<>();
        if (binaryBase) {
            ids.add(DNNL_ARG_SRC_0());
            ids.add(DNNL_ARG_SRC_1());
        } else {
            ids.add(DNNL_ARG_SRC());
        }
        ids.add(DNNL_ARG_DST());
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).binary()) ids.add(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE() * (i + 1) | DNNL_ARG_SRC_1());
        }
        int[] argIds = ids.stream().mapToInt(Integer::intValue).toArray();
        OnePrimitive.Key key = new OnePrimitive.Key("pointwise", List.of(n, this), argIds);
        return OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), n);
            MemorySegment one = ExecutionContext.rowMajor(arena, dnnl_f32(), 1);
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
            try {
                if (!steps.isEmpty()) {
                    OneDnn.check("dnnl_post_ops_create", dnnl_post_ops_create(ptr));
                    MemorySegment po = ptr.get(ValueLayout.ADDRESS, 0);
                    try {
                        for (Step s : steps) {
                            if (s.binary()) {
                                OneDnn.check("dnnl_post_ops_append_binary",
                                        dnnl_post_ops_append_binary(po, s.alg(), s.scalar() ? one : md), key.toString());
                            } else {
                                OneDnn.check("dnnl_post_ops_append_eltwise",
                                        dnnl_post_ops_append_eltwise(po, s.alg(), s.alpha(), s.beta()), key.toString());
                            }
                        }
                        OneDnn.check("dnnl_primitive_attr_set_post_ops", dnnl_primitive_attr_set_post_ops(attr, po), key.toString());
                    } finally {
                        dnnl_post_ops_destroy(po);
                    }
                }
                if (binaryBase) {
                    OneDnn.check("dnnl_binary_primitive_desc_create", dnnl_binary_primitive_desc_create(
                            ptr, engine, alg, md, scalarSrc1 ? one : md, md, attr), key.toString());
                } else {
                    OneDnn.check("dnnl_eltwise_forward_primitive_desc_create", dnnl_eltwise_forward_primitive_desc_create(
                            ptr, engine, dnnl_forward_inference(), alg, md, md, alpha, beta, attr), key.toString());
                }
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
                dnnl_memory_desc_destroy(one);
            }
        });
    }

    /** Runs this chain on {@code n} elements (buffers as the class comment says). */
    void run(long n, MemorySegment... buffers) {
        ExecutionContext.current().run(primitive(n), buffers);
    }

    /**
     * Row sums of the first {@code rows * cols} elements of {@code src} (row-major {@code [rows, cols]}) into
     * {@code rows} floats of {@code dst}: oneDNN's reduction primitive, accumulating in float32.
     */
    static void rowSums(long rows, long cols, MemorySegment src, MemorySegment dst) {
        OnePrimitive.Key key = new OnePrimitive.Key("pointwise_row_sum", List.of(rows, cols), DNNL_ARG_SRC(), DNNL_ARG_DST());
        OnePrimitive p = OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment in = ExecutionContext.rowMajor(arena, dnnl_f32(), rows, cols);
            MemorySegment out = ExecutionContext.rowMajor(arena, dnnl_f32(), rows, 1);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_reduction_primitive_desc_create", dnnl_reduction_primitive_desc_create(
                        ptr, engine, dnnl_reduction_sum(), in, out, 0f, 0f, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(in);
                dnnl_memory_desc_destroy(out);
            }
        });
        ExecutionContext.current().run(p, src, dst);
    }
}

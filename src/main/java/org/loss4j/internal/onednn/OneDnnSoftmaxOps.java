package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * softmax / log-softmax forward and backward as oneDNN softmax primitives over the {@code [outer, n, inner]} view
 * (axis 1); class picks and probability-target terms from the Java backend.
 */
public final class OneDnnSoftmaxOps implements SoftmaxOps {

    private final SoftmaxOps java;

    /**
     * oneDNN's softmax primitives approximate exp and log (measured on this project's AVX-512 machine: log-softmax
     * off by 3.8e-6 absolute, softmax by 1e-6 relative at C = 7), which breaks loss4j's float32 tolerance (rel 1e-5,
     * abs 1e-6). So the accurate Java kernels serve softmax unless {@code loss4j.onednn.fastSoftmax} is set.
     */
    private final boolean fast;
    private final PrimitiveCache cache; // null: the runtime's

    OneDnnSoftmaxOps(SoftmaxOps java) {
        this(java, org.loss4j.internal.Config.ONEDNN_FAST_SOFTMAX.getBoolean());
    }

    /**
     * @param java the fallback (and class picks)
     * @param fast whether oneDNN's softmax primitives serve float32 native tensors (tests set it; the backend reads
     *             {@code loss4j.onednn.fastSoftmax})
     */
    public OneDnnSoftmaxOps(SoftmaxOps java, boolean fast) {
        this(java, fast, null);
    }

    /** As {@link #OneDnnSoftmaxOps(SoftmaxOps, boolean)}, with primitives from {@code cache} (null: the runtime's). */
    public OneDnnSoftmaxOps(SoftmaxOps java, boolean fast, PrimitiveCache cache) {
        this.java = java;
        this.fast = fast;
        this.cache = cache;
    }

    private PrimitiveCache cache() {
        return cache != null ? cache : OneDnnRuntime.get().cache();
    }

    @Override
    public String servedBy() {
        return fast ? "onednn (softmax primitives, fast exp/log approximations; class picks: java)"
                : "java (oneDNN's softmax approximates exp/log beyond loss4j's float32 tolerance; loss4j.onednn.fastSoftmax=true uses it)";
    }

    private boolean eligible(Tensor a, Tensor b) {
        return fast && native32(a) && native32(b);
    }

    private boolean eligible(Tensor a, Tensor b, Tensor c) {
        return fast && native32(a) && native32(b) && native32(c);
    }

    private static boolean native32(Tensor t) {
        return t.dtype() == DType.F32 && t.segment().isNative();
    }

    private OnePrimitive forward(int alg, long outer, long n, long inner) {
        OnePrimitive.Key key = new OnePrimitive.Key("softmax_fwd", List.of(alg, outer, n, inner), DNNL_ARG_SRC(), DNNL_ARG_DST());
        return cache().primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), outer, n, inner);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_softmax_forward_primitive_desc_create", dnnl_softmax_forward_primitive_desc_create(
                        ptr, engine, dnnl_forward_training(), alg, md, md, 1, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
    }

    private OnePrimitive backward(int alg, long outer, long n, long inner) {
        OnePrimitive.Key key = new OnePrimitive.Key("softmax_bwd", List.of(alg, outer, n, inner),
                DNNL_ARG_DST(), DNNL_ARG_DIFF_DST(), DNNL_ARG_DIFF_SRC());
        return cache().primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), outer, n, inner);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_softmax_forward_primitive_desc_create", dnnl_softmax_forward_primitive_desc_create(
                        ptr, engine, dnnl_forward_training(), alg, md, md, 1, MemorySegment.NULL), key.toString());
                MemorySegment hint = ptr.get(ValueLayout.ADDRESS, 0);
                try {
                    OneDnn.check("dnnl_softmax_backward_primitive_desc_create", dnnl_softmax_backward_primitive_desc_create(
                            ptr, engine, alg, md, md, md, 1, hint, attr), key.toString());
                    return ptr.get(ValueLayout.ADDRESS, 0);
                } finally {
                    dnnl_primitive_desc_destroy(hint);
                }
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
    }

    @Override
    public void logSoftmax(Tensor x, long outer, long n, long inner, Tensor out) {
        if (!eligible(x, out) || x.numel() == 0) {
            java.logSoftmax(x, outer, n, inner, out);
            return;
        }
        ExecutionContext.current().run(forward(dnnl_softmax_log(), outer, n, inner), x.segment(), out.segment());
    }

    @Override
    public void softmax(Tensor x, long outer, long n, long inner, Tensor out) {
        if (!eligible(x, out) || x.numel() == 0) {
            java.softmax(x, outer, n, inner, out);
            return;
        }
        ExecutionContext.current().run(forward(dnnl_softmax_accurate(), outer, n, inner), x.segment(), out.segment());
    }

    @Override
    public void logSoftmaxBackward(Tensor gradOut, Tensor y, long outer, long n, long inner, Tensor gradIn) {
        if (!eligible(gradOut, y, gradIn) || y.numel() == 0) {
            java.logSoftmaxBackward(gradOut, y, outer, n, inner, gradIn);
            return;
        }
        ExecutionContext.current().run(backward(dnnl_softmax_log(), outer, n, inner), y.segment(), gradOut.segment(), gradIn.segment());
    }

    // oneDNN has no gather: the class-index kernels are the Java backend's.

    @Override
    public void classTargetForward(Tensor logp, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                   long outer, long n, long inner, Tensor lossOut, double[] sums) {
        java.classTargetForward(logp, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums);
    }

    @Override
    public void classTargetBackward(Tensor target, Tensor weight, long ignoreIndex, double smoothing, Tensor gradOut,
                                    double gradScale, long outer, long n, long inner, Tensor gradLogp) {
        java.classTargetBackward(target, weight, ignoreIndex, smoothing, gradOut, gradScale, outer, n, inner, gradLogp);
    }

    @Override
    public double probTargetForward(Tensor logp, Tensor target, Tensor weight, double smoothing, long outer, long n,
                                    long inner, Tensor lossOut) {
        return java.probTargetForward(logp, target, weight, smoothing, outer, n, inner, lossOut);
    }

    @Override
    public void probTargetBackward(Tensor logp, Tensor target, Tensor weight, double smoothing, Tensor gradOut,
                                   double gradScale, long outer, long n, long inner, Tensor gradLogp, Tensor gradTarget) {
        java.probTargetBackward(logp, target, weight, smoothing, gradOut, gradScale, outer, n, inner, gradLogp, gradTarget);
    }

    @Override
    public void crossEntropyClassTarget(Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                        long outer, long n, long inner, Tensor lossOut, double[] sums,
                                        Tensor gradInput, Tensor gradOut, double gradScale, boolean divideByWeightSum) {
        if (eligible(input, input)) {
            SoftmaxOps.super.crossEntropyClassTarget(input, target, weight, ignoreIndex, smoothing, outer, n, inner,
                    lossOut, sums, gradInput, gradOut, gradScale, divideByWeightSum);
        } else {
            java.crossEntropyClassTarget(input, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums,
                    gradInput, gradOut, gradScale, divideByWeightSum);
        }
    }
}

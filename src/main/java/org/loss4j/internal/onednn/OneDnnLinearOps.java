package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.LinearOps;

/**
 * Matrix products through oneDNN's matmul primitive (float32, native memory); row gathers from Java.
 *
 * <p>Transposed operands are strided views of the caller's row-major memory (a {@code (n, k)} weight read as
 * {@code (k, n)} with strides {@code (1, k)}), so nothing is copied. oneDNN accumulates in float32, as PyTorch's own
 * CPU matmul does; the Java backend accumulates in double.
 */
final class OneDnnLinearOps implements LinearOps {

    private final LinearOps java;

    /**
     * oneDNN lets {@code ONEDNN_DEFAULT_FPMATH_MODE} (or the older {@code DNNL_DEFAULT_FPMATH_MODE}) turn float32
     * matmuls into bf16/tf32 ones, which would miss loss4j's float32 tolerance silently; this build has no binding
     * for {@code dnnl_primitive_attr_set_fpmath_mode}, so under such a setting the Java kernels serve.
     */
    private static final String FPMATH = fpmathOverride();

    OneDnnLinearOps(LinearOps java) {
        this.java = java;
    }

    private static String fpmathOverride() {
        for (String name : new String[] {"ONEDNN_DEFAULT_FPMATH_MODE", "DNNL_DEFAULT_FPMATH_MODE"}) {
            String v = System.getenv(name);
            if (v != null && !v.isBlank() && !v.trim().equalsIgnoreCase("STRICT")) return name + "=" + v.trim();
        }
        return null;
    }

    @Override
    public String servedBy() {
        if (FPMATH != null) {
            return "java (" + FPMATH + " would let oneDNN's matmul compute float32 in lower precision)";
        }
        return "onednn (linear, matmul, matmulTransposeA: matmul primitive over strided transposed views, bias fused,"
                + " float32 accumulation; gatherRows, scatterAddRows: java, oneDNN has no gather)";
    }

    private static boolean eligible(Tensor... ts) {
        if (FPMATH != null) return false;
        for (Tensor t : ts) {
            if (t != null && (t.dtype() != DType.F32 || !t.segment().isNative())) return false;
        }
        return true;
    }

    @Override
    public void linear(Tensor a, Tensor b, Tensor bias, long m, long k, long n, Tensor out) {
        if (!eligible(a, b, bias, out) || m == 0 || k == 0 || n == 0 || !OneDnnBackend.worthNative(m * k * n)) {
            java.linear(a, b, bias, m, k, n, out);
            return;
        }
        // weights (k, n) = b (n, k)^T: element (p, j) at j * k + p
        OnePrimitive p = matmul("linear", m, k, n, new long[] {k, 1}, new long[] {1, k}, bias != null);
        if (bias == null) ExecutionContext.current().run(p, a.segment(), b.segment(), out.segment());
        else ExecutionContext.current().run(p, a.segment(), b.segment(), bias.segment(), out.segment());
        if (!allFinite(out)) java.linear(a, b, bias, m, k, n, out);
    }

    @Override
    public void matmul(Tensor a, Tensor b, long m, long k, long n, Tensor out) {
        if (!eligible(a, b, out) || m == 0 || k == 0 || n == 0 || !OneDnnBackend.worthNative(m * k * n)) {
            java.matmul(a, b, m, k, n, out);
            return;
        }
        OnePrimitive p = matmul("matmul", m, k, n, new long[] {k, 1}, new long[] {n, 1}, false);
        ExecutionContext.current().run(p, a.segment(), b.segment(), out.segment());
        if (!allFinite(out)) java.matmul(a, b, m, k, n, out);
    }

    @Override
    public void matmulTransposeA(Tensor a, Tensor b, long k, long m, long n, Tensor out) {
        if (!eligible(a, b, out) || m == 0 || k == 0 || n == 0 || !OneDnnBackend.worthNative(m * k * n)) {
            java.matmulTransposeA(a, b, k, m, n, out);
            return;
        }
        // src (m, k) = a (k, m)^T: element (i, p) at p * m + i
        OnePrimitive p = matmul("matmul_ta", m, k, n, new long[] {1, m}, new long[] {n, 1}, false);
        ExecutionContext.current().run(p, a.segment(), b.segment(), out.segment());
        if (!allFinite(out)) java.matmulTransposeA(a, b, k, m, n, out);
    }

    /**
     * {@code dst (m, n) = src (m, k) @ weights (k, n) [+ bias (1, n)]}, float32, with the given element strides of
     * src and weights; dst is row-major.
     */
    private static OnePrimitive matmul(String op, long m, long k, long n, long[] srcStrides, long[] weightStrides,
                                       boolean bias) {
        List<Object> params = List.of(dnnl_f32(), m, k, n, srcStrides[0], srcStrides[1], weightStrides[0], weightStrides[1], bias);
        OnePrimitive.Key key = bias
                ? new OnePrimitive.Key(op, params, DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_BIAS(), DNNL_ARG_DST())
                : new OnePrimitive.Key(op, params, DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST());
        return OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment src = OneDnnReduceOps.strided(arena, new long[] {m, k}, srcStrides);
            MemorySegment weights = OneDnnReduceOps.strided(arena, new long[] {k, n}, weightStrides);
            MemorySegment biasMd = bias ? ExecutionContext.rowMajor(arena, dnnl_f32(), 1, n) : MemorySegment.NULL;
            MemorySegment dst = ExecutionContext.rowMajor(arena, dnnl_f32(), m, n);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_matmul_primitive_desc_create", dnnl_matmul_primitive_desc_create(
                        ptr, engine, src, weights, biasMd, dst, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(src);
                dnnl_memory_desc_destroy(weights);
                if (bias) dnnl_memory_desc_destroy(biasMd);
                dnnl_memory_desc_destroy(dst);
            }
        });
    }

    // oneDNN has no gather or scatter primitive: the row selection of AdaptiveLogSoftmaxWithLoss stays in Java.

    @Override
    public void gatherRows(Tensor src, Tensor rows, long r, long cols, Tensor out) {
        java.gatherRows(src, rows, r, cols, out);
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor rows, long r, long cols, Tensor dst) {
        java.scatterAddRows(src, rows, r, cols, dst);
    }

    /**
     * oneDNN's matmul accumulates in float32, so huge finite operands (e.g. 3e38) overflow to inf or nan where the
     * Java kernels' double accumulation stays finite. A product with any non-finite element is therefore recomputed
     * in Java: backends agree, and the check costs one pass over the output (the product itself is O(k) per element).
     */
    private static boolean allFinite(Tensor out) {
        MemorySegment s = out.segment();
        long n = out.numel();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i))) return false;
        }
        return true;
    }
}

package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.cuda.cublas.cublas_h;
import org.loss4j.internal.ops.LinearOps;

/**
 * The linear group on the GPU: the three products by cuBLAS ({@code cublasSgemm_v2} / {@code cublasDgemm_v2}, host
 * pointer mode, default math: no TF32), row selection by loss4j's kernels. cuBLAS is column-major; a row-major
 * {@code r x c} matrix is the column-major {@code c x r} matrix (its transpose) with leading dimension {@code c}, so
 * each row-major product {@code C = op(A) op(B)} is computed as the column-major {@code C^T = op(B)^T op(A)^T}
 * (operands swapped, m and n swapped, ldc = n):
 * <pre>
 *   linear            C(m,n) = a(m,k) b(n,k)^T : gemm(T, N, n, m, k, b, lda=k, a, ldb=k, C, ldc=n) (+ bias kernel)
 *   matmul            C(m,n) = a(m,k) b(k,n)   : gemm(N, N, n, m, k, b, lda=n, a, ldb=k, C, ldc=n)
 *   matmulTransposeA  C(m,n) = a(k,m)^T b(k,n) : gemm(N, T, n, m, k, b, lda=n, a, ldb=m, C, ldc=n)
 * </pre>
 * {@code k == 0} writes zeros (plus the bias) without calling cuBLAS; an empty output does nothing. Host-staged: any
 * host operand (e.g. row indices built on the host), sizes beyond cuBLAS's int arguments, the emulated device, and
 * {@code -Dloss4j.cuda.staged=linear}.
 */
final class CudaLinearOps implements LinearOps {

    private final LinearOps staged;

    CudaLinearOps(LinearOps staged) {
        this.staged = staged;
    }

    @Override
    public String servedBy() {
        return "cuda (cuBLAS sgemm/dgemm, loss4j_gather_rows/scatter_add_rows kernels)";
    }

    private static boolean native_(long m, long k, long n, Tensor... operands) {
        if (CudaContext.EMULATED || CudaBackend.staged("linear")) return false;
        if (m > Integer.MAX_VALUE || k > Integer.MAX_VALUE || n > Integer.MAX_VALUE) return false;
        for (Tensor t : operands) if (t != null && !t.isCuda()) return false;
        return true;
    }

    private static final class Scalars {
        final Arena arena = Arena.ofAuto();
        final MemorySegment oneF = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        final MemorySegment zeroF = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        final MemorySegment oneD = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1d);
        final MemorySegment zeroD = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 0d);
    }

    private static final ThreadLocal<Scalars> SCALARS = ThreadLocal.withInitial(Scalars::new);

    private static MemorySegment ptr(Tensor t) {
        return MemorySegment.ofAddress(t.deviceAddress());
    }

    /** Column-major {@code C(m', n') = op(A) op(B)} with alpha 1, beta 0 (alpha and beta in host memory). */
    /**
     * {@code c = op(a) op(b)} (column-major, cuBLAS's order); an empty product writes nothing, and {@code k = 0}
     * zeroes {@code c} (cuBLAS would leave it as it was).
     */
    private static void gemm(Device device, DType dtype, int transa, int transb, long m, long n, long k, Tensor a,
                             long lda, Tensor b, long ldb, Tensor c, long ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            CudaMemory.zero(device, ptr(c), c.byteSize());
            return;
        }
        MemorySegment h = CudaContext.cublas(device);
        Scalars s = SCALARS.get();
        if (dtype == DType.F32) {
            Cuda.checkCublas("cublasSgemm_v2", cublas_h.cublasSgemm_v2(h, transa, transb, (int) m, (int) n, (int) k,
                    s.oneF, ptr(a), (int) lda, ptr(b), (int) ldb, s.zeroF, ptr(c), (int) ldc));
        } else {
            Cuda.checkCublas("cublasDgemm_v2", cublas_h.cublasDgemm_v2(h, transa, transb, (int) m, (int) n, (int) k,
                    s.oneD, ptr(a), (int) lda, ptr(b), (int) ldb, s.zeroD, ptr(c), (int) ldc));
        }
    }

    private static String sfx(Tensor t) {
        return t.dtype() == DType.F32 ? "f32" : "f64";
    }

    @Override
    public void linear(Tensor a, Tensor b, Tensor bias, long m, long k, long n, Tensor out) {
        if (!native_(m, k, n, a, b, bias, out)) {
            staged.linear(a, b, bias, m, k, n, out);
            return;
        }
        if (m == 0 || n == 0) return;
        Device device = out.device();
        gemm(device, out.dtype(), cublas_h.CUBLAS_OP_T(), cublas_h.CUBLAS_OP_N(), n, m, k, b, k, a, k, out, n);
        if (bias != null) {
            CudaKernels.launch(device, "loss4j_add_bias_" + sfx(out), CudaKernels.blocksFor(m * n), m, n, ptr(bias), ptr(out));
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, long m, long k, long n, Tensor out) {
        if (!native_(m, k, n, a, b, out)) {
            staged.matmul(a, b, m, k, n, out);
            return;
        }
        gemm(out.device(), out.dtype(), cublas_h.CUBLAS_OP_N(), cublas_h.CUBLAS_OP_N(), n, m, k, b, n, a, k, out, n);
    }

    @Override
    public void matmulTransposeA(Tensor a, Tensor b, long k, long m, long n, Tensor out) {
        if (!native_(m, k, n, a, b, out)) {
            staged.matmulTransposeA(a, b, k, m, n, out);
            return;
        }
        gemm(out.device(), out.dtype(), cublas_h.CUBLAS_OP_N(), cublas_h.CUBLAS_OP_T(), n, m, k, b, n, a, m, out, n);
    }

    @Override
    public void gatherRows(Tensor src, Tensor rows, long r, long cols, Tensor out) {
        if (!native_(r, cols, 1, src, rows, out) || rows.dtype() != DType.I64) {
            staged.gatherRows(src, rows, r, cols, out);
            return;
        }
        if (r * cols == 0) return;
        CudaKernels.launch(out.device(), "loss4j_gather_rows_" + sfx(out), CudaKernels.blocksFor(r * cols), r, cols,
                ptr(src), ptr(rows), ptr(out));
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor rows, long r, long cols, Tensor dst) {
        if (!native_(r, cols, 1, src, rows, dst) || rows.dtype() != DType.I64) {
            staged.scatterAddRows(src, rows, r, cols, dst);
            return;
        }
        if (r * cols == 0) return;
        CudaKernels.launch(dst.device(), "loss4j_scatter_add_rows_" + sfx(dst), CudaKernels.blocksFor(r * cols), r, cols,
                ptr(src), ptr(rows), ptr(dst));
    }
}

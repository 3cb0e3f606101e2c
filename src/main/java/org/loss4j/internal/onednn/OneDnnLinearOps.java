package org.loss4j.internal.onednn;

import org.loss4j.Tensor;
import org.loss4j.internal.ops.LinearOps;

/** Matrix products through oneDNN's matmul primitive (float32, native memory); row gathers from Java. */
final class OneDnnLinearOps implements LinearOps {

    private final LinearOps java;

    OneDnnLinearOps(LinearOps java) {
        this.java = java;
    }

    @Override
    public String servedBy() {
        return "java (pending oneDNN matmul)";
    }

    @Override
    public void linear(Tensor a, Tensor b, Tensor bias, long m, long k, long n, Tensor out) {
        java.linear(a, b, bias, m, k, n, out);
    }

    @Override
    public void matmul(Tensor a, Tensor b, long m, long k, long n, Tensor out) {
        java.matmul(a, b, m, k, n, out);
    }

    @Override
    public void matmulTransposeA(Tensor a, Tensor b, long k, long m, long n, Tensor out) {
        java.matmulTransposeA(a, b, k, m, n, out);
    }

    @Override
    public void gatherRows(Tensor src, Tensor rows, long r, long cols, Tensor out) {
        java.gatherRows(src, rows, r, cols, out);
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor rows, long r, long cols, Tensor dst) {
        java.scatterAddRows(src, rows, r, cols, dst);
    }
}

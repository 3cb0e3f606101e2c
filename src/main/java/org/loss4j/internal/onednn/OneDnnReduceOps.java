package org.loss4j.internal.onednn;

import org.loss4j.Tensor;
import org.loss4j.internal.ops.ReduceOps;

/** Reductions through oneDNN's reduction, eltwise and binary primitives (float32, native memory); else Java. */
final class OneDnnReduceOps implements ReduceOps {

    private final ReduceOps java;

    OneDnnReduceOps(ReduceOps java) {
        this.java = java;
    }

    @Override
    public String servedBy() {
        return "java (pending oneDNN reduction)";
    }

    @Override
    public double sum(Tensor x) {
        return java.sum(x);
    }

    @Override
    public void sumDim(Tensor x, long outer, long n, long inner, double scale, Tensor out) {
        java.sumDim(x, outer, n, inner, scale, out);
    }

    @Override
    public void scale(Tensor x, double alpha, Tensor out) {
        java.scale(x, alpha, out);
    }

    @Override
    public void mul(Tensor x, Tensor y, Tensor out) {
        java.mul(x, y, out);
    }

    @Override
    public void fill(Tensor t, double v) {
        java.fill(t, v);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        java.copy(src, dst);
    }
}

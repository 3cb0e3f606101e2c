package org.loss4j.internal.java;

import java.lang.foreign.MemorySegment;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.ReduceOps;

/** Pure-Java reductions; sums accumulate in double. */
final class JavaReduceOps implements ReduceOps {

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public double sum(Tensor x) {
        long n = x.numel();
        double s = 0;
        for (long i = 0; i < n; i++) s += x.getDouble(i);
        return s;
    }

    @Override
    public void sumDim(Tensor x, long outer, long n, long inner, double scale, Tensor out) {
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                double s = 0;
                long base = o * n * inner + i;
                for (long k = 0; k < n; k++) s += x.getDouble(base + k * inner);
                out.setDouble(o * inner + i, scale * s);
            }
        }
    }

    @Override
    public void scale(Tensor x, double alpha, Tensor out) {
        long n = x.numel();
        for (long i = 0; i < n; i++) out.setDouble(i, alpha * x.getDouble(i));
    }

    @Override
    public void mul(Tensor x, Tensor y, Tensor out) {
        long n = x.numel();
        for (long i = 0; i < n; i++) out.setDouble(i, x.getDouble(i) * y.getDouble(i));
    }

    @Override
    public void fill(Tensor t, double v) {
        if (v == 0) {
            t.segment().fill((byte) 0);
            return;
        }
        long n = t.numel();
        for (long i = 0; i < n; i++) t.setDouble(i, v);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.dtype() == dst.dtype()) {
            MemorySegment.copy(src.segment(), 0, dst.segment(), 0, src.byteSize());
            return;
        }
        long n = src.numel();
        boolean ints = !dst.dtype().isFloating();
        for (long i = 0; i < n; i++) {
            if (ints) dst.setDouble(i, src.getLong(i));
            else dst.setDouble(i, src.getDouble(i));
        }
    }
}

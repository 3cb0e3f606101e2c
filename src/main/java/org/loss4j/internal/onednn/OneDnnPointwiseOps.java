package org.loss4j.internal.onednn;

import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;
import org.loss4j.internal.ops.PointwiseOps;

/** Element-wise loss terms as oneDNN binary/eltwise chains where oneDNN has the operations; else Java. */
final class OneDnnPointwiseOps implements PointwiseOps {

    private final PointwiseOps java;

    OneDnnPointwiseOps(PointwiseOps java) {
        this.java = java;
    }

    @Override
    public String servedBy() {
        return "java (pending oneDNN eltwise/binary chains)";
    }

    @Override
    public double apply(PointwiseFn fn, Tensor[] operands, long[] outShape, Tensor outNone, Tensor gradOut, double gradScale,
                        Tensor[] grads) {
        return java.apply(fn, operands, outShape, outNone, gradOut, gradScale, grads);
    }
}

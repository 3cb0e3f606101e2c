package org.loss4j.loss;

import org.loss4j.Backend;
import org.loss4j.Reduction;

/** Common builder options of every loss: the reduction and an optional fixed backend. */
public abstract class LossBuilder<B extends LossBuilder<B, L>, L extends Loss> {

    Reduction reduction = Reduction.MEAN;
    Backend backend;

    LossBuilder() {}

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    /** PyTorch's {@code reduction}; default {@link Reduction#MEAN}. */
    public B reduction(Reduction reduction) {
        if (reduction == null) throw new IllegalArgumentException("reduction must not be null");
        this.reduction = reduction;
        return self();
    }

    /** PyTorch's {@code reduction} string: {@code "none"}, {@code "mean"}, {@code "sum"}. */
    public B reduction(String reduction) {
        return reduction(Reduction.parse(reduction));
    }

    /** Fixes the backend instead of automatic selection. */
    public B backend(Backend backend) {
        this.backend = backend;
        return self();
    }

    /** Builds the immutable loss; throws {@link IllegalArgumentException} for an option out of range. */
    public abstract L build();

    /** Rejects reductions a loss does not take (only KLDivLoss takes BATCHMEAN). */
    static Reduction standard(String loss, Reduction r) {
        if (r == Reduction.BATCHMEAN) {
            throw new IllegalArgumentException(loss + ": reduction 'batchmean' is only for KLDivLoss; use 'none', 'mean' or 'sum'");
        }
        return r;
    }
}

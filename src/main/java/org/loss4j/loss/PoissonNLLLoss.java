package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.PoissonNLLLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class PoissonNLLLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private PoissonNLLLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** PoissonNLLLoss with PyTorch's defaults. */
    public static PoissonNLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static PoissonNLLLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "PoissonNLLLoss";
    }

    @Override
    public List<String> argumentNames() {
        return ARGS;
    }

    @Override
    public Set<String> differentiableArguments() {
        return DIFF;
    }

    @Override
    Loss withBackend(Backend backend) {
        return builder().reduction(reduction).backend(backend).build();
    }

    @Override
    void compute(Call call) {
        throw new UnsupportedOperationException("PoissonNLLLoss is not implemented yet");
    }

    /** Builder for {@link PoissonNLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, PoissonNLLLoss> {
        private Builder() {}

        @Override
        public PoissonNLLLoss build() {
            return new PoissonNLLLoss(this);
        }
    }
}

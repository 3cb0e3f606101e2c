package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.NLLLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class NLLLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input");

    private NLLLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** NLLLoss with PyTorch's defaults. */
    public static NLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static NLLLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "NLLLoss";
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
        throw new UnsupportedOperationException("NLLLoss is not implemented yet");
    }

    /** Builder for {@link NLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, NLLLoss> {
        private Builder() {}

        @Override
        public NLLLoss build() {
            return new NLLLoss(this);
        }
    }
}

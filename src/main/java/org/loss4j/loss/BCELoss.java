package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.BCELoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class BCELoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private BCELoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** BCELoss with PyTorch's defaults. */
    public static BCELoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static BCELoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "BCELoss";
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
        throw new UnsupportedOperationException("BCELoss is not implemented yet");
    }

    /** Builder for {@link BCELoss}. */
    public static final class Builder extends LossBuilder<Builder, BCELoss> {
        private Builder() {}

        @Override
        public BCELoss build() {
            return new BCELoss(this);
        }
    }
}

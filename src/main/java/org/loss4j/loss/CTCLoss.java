package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.CTCLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class CTCLoss extends Loss {

    private static final List<String> ARGS = List.of("log_probs", "targets", "input_lengths", "target_lengths");
    private static final Set<String> DIFF = Set.of("log_probs");

    private CTCLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** CTCLoss with PyTorch's defaults. */
    public static CTCLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static CTCLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "CTCLoss";
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
        throw new UnsupportedOperationException("CTCLoss is not implemented yet");
    }

    /** Builder for {@link CTCLoss}. */
    public static final class Builder extends LossBuilder<Builder, CTCLoss> {
        private Builder() {}

        @Override
        public CTCLoss build() {
            return new CTCLoss(this);
        }
    }
}

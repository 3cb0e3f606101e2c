package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.MarginRankingLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class MarginRankingLoss extends Loss {

    private static final List<String> ARGS = List.of("input1", "input2", "target");
    private static final Set<String> DIFF = Set.of("input1", "input2");

    private MarginRankingLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** MarginRankingLoss with PyTorch's defaults. */
    public static MarginRankingLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static MarginRankingLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "MarginRankingLoss";
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
        throw new UnsupportedOperationException("MarginRankingLoss is not implemented yet");
    }

    /** Builder for {@link MarginRankingLoss}. */
    public static final class Builder extends LossBuilder<Builder, MarginRankingLoss> {
        private Builder() {}

        @Override
        public MarginRankingLoss build() {
            return new MarginRankingLoss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.TripletMarginWithDistanceLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class TripletMarginWithDistanceLoss extends Loss {

    private static final List<String> ARGS = List.of("anchor", "positive", "negative");
    private static final Set<String> DIFF = Set.of("anchor", "positive", "negative");

    private TripletMarginWithDistanceLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** TripletMarginWithDistanceLoss with PyTorch's defaults. */
    public static TripletMarginWithDistanceLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static TripletMarginWithDistanceLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "TripletMarginWithDistanceLoss";
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
        throw new UnsupportedOperationException("TripletMarginWithDistanceLoss is not implemented yet");
    }

    /** Builder for {@link TripletMarginWithDistanceLoss}. */
    public static final class Builder extends LossBuilder<Builder, TripletMarginWithDistanceLoss> {
        private Builder() {}

        @Override
        public TripletMarginWithDistanceLoss build() {
            return new TripletMarginWithDistanceLoss(this);
        }
    }
}

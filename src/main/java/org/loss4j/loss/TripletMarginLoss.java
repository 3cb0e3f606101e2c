package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.TripletMarginLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class TripletMarginLoss extends Loss {

    private static final List<String> ARGS = List.of("anchor", "positive", "negative");
    private static final Set<String> DIFF = Set.of("anchor", "positive", "negative");

    private TripletMarginLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** TripletMarginLoss with PyTorch's defaults. */
    public static TripletMarginLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static TripletMarginLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "TripletMarginLoss";
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
        throw new UnsupportedOperationException("TripletMarginLoss is not implemented yet");
    }

    /** Builder for {@link TripletMarginLoss}. */
    public static final class Builder extends LossBuilder<Builder, TripletMarginLoss> {
        private Builder() {}

        @Override
        public TripletMarginLoss build() {
            return new TripletMarginLoss(this);
        }
    }
}

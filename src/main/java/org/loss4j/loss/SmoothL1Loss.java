package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.SmoothL1Loss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class SmoothL1Loss extends Loss {

    private static final List<String> ARGS = List.of("input", "target");
    private static final Set<String> DIFF = Set.of("input", "target");

    private SmoothL1Loss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** SmoothL1Loss with PyTorch's defaults. */
    public static SmoothL1Loss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static SmoothL1Loss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "SmoothL1Loss";
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
        throw new UnsupportedOperationException("SmoothL1Loss is not implemented yet");
    }

    /** Builder for {@link SmoothL1Loss}. */
    public static final class Builder extends LossBuilder<Builder, SmoothL1Loss> {
        private Builder() {}

        @Override
        public SmoothL1Loss build() {
            return new SmoothL1Loss(this);
        }
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Reduction;

/**
 * PyTorch's {@code nn.GaussianNLLLoss}. STUB: being implemented; every call throws {@link UnsupportedOperationException}.
 */
public final class GaussianNLLLoss extends Loss {

    private static final List<String> ARGS = List.of("input", "target", "var");
    private static final Set<String> DIFF = Set.of("input", "target", "var");

    private GaussianNLLLoss(Builder b) {
        super(b.reduction, b.backend);
    }

    /** GaussianNLLLoss with PyTorch's defaults. */
    public static GaussianNLLLoss create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch keyword options. */
    public static GaussianNLLLoss fromOptions(LossOptions o) {
        Builder b = builder().reduction(o.reduction(Reduction.MEAN));
        o.finish();
        return b.build();
    }

    @Override
    public String name() {
        return "GaussianNLLLoss";
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
        throw new UnsupportedOperationException("GaussianNLLLoss is not implemented yet");
    }

    /** Builder for {@link GaussianNLLLoss}. */
    public static final class Builder extends LossBuilder<Builder, GaussianNLLLoss> {
        private Builder() {}

        @Override
        public GaussianNLLLoss build() {
            return new GaussianNLLLoss(this);
        }
    }
}

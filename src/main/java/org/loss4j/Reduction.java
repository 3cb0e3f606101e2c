package org.loss4j;

/** How a loss reduces its per-element values: PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** No reduction: one loss value per element (or per sample), same shape as PyTorch's. */
    NONE("none"),
    /** Mean over the elements (the weighted mean for weighted class losses). PyTorch's default. */
    MEAN("mean"),
    /** Sum over the elements. */
    SUM("sum"),
    /** Sum divided by the batch size, {@code input.size(0)}; only {@code KLDivLoss} accepts it. */
    BATCHMEAN("batchmean");

    private final String torchName;

    Reduction(String torchName) {
        this.torchName = torchName;
    }

    /** PyTorch's string for this reduction. */
    public String torchName() {
        return torchName;
    }

    /** Parses PyTorch's reduction string ({@code "none"}, {@code "mean"}, {@code "sum"}, {@code "batchmean"}). */
    public static Reduction parse(String s) {
        for (Reduction r : values()) {
            if (r.torchName.equals(s)) return r;
        }
        throw new IllegalArgumentException("reduction must be one of 'none', 'mean', 'sum' (or 'batchmean' for KLDivLoss), got '" + s + "'");
    }
}

package org.loss4j.loss;

import java.util.List;
import java.util.Map;

/**
 * Every loss in one place: a static factory per PyTorch loss with its defaults, and {@link #fromPyTorch} to build
 * one from PyTorch's class name and keyword options.
 */
public final class Losses {

    private Losses() {}

    /** PyTorch's class names of every loss loss4j provides. */
    public static final List<String> NAMES = List.of("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "GaussianNLLLoss", "PoissonNLLLoss", "KLDivLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss", "AdaptiveLogSoftmaxWithLoss");

    /** {@code nn.MSELoss} with PyTorch's defaults; see {@link MSELoss#builder()} for options. */
    public static MSELoss mse() {
        return MSELoss.create();
    }

    /** {@code nn.L1Loss} with PyTorch's defaults; see {@link L1Loss#builder()} for options. */
    public static L1Loss l1() {
        return L1Loss.create();
    }

    /** {@code nn.HuberLoss} with PyTorch's defaults; see {@link HuberLoss#builder()} for options. */
    public static HuberLoss huber() {
        return HuberLoss.create();
    }

    /** {@code nn.SmoothL1Loss} with PyTorch's defaults; see {@link SmoothL1Loss#builder()} for options. */
    public static SmoothL1Loss smoothL1() {
        return SmoothL1Loss.create();
    }

    /** {@code nn.GaussianNLLLoss} with PyTorch's defaults; see {@link GaussianNLLLoss#builder()} for options. */
    public static GaussianNLLLoss gaussianNll() {
        return GaussianNLLLoss.create();
    }

    /** {@code nn.PoissonNLLLoss} with PyTorch's defaults; see {@link PoissonNLLLoss#builder()} for options. */
    public static PoissonNLLLoss poissonNll() {
        return PoissonNLLLoss.create();
    }

    /** {@code nn.KLDivLoss} with PyTorch's defaults; see {@link KLDivLoss#builder()} for options. */
    public static KLDivLoss klDiv() {
        return KLDivLoss.create();
    }

    /** {@code nn.NLLLoss} with PyTorch's defaults; see {@link NLLLoss#builder()} for options. */
    public static NLLLoss nll() {
        return NLLLoss.create();
    }

    /** {@code nn.CrossEntropyLoss} with PyTorch's defaults; see {@link CrossEntropyLoss#builder()} for options. */
    public static CrossEntropyLoss crossEntropy() {
        return CrossEntropyLoss.create();
    }

    /** {@code nn.BCELoss} with PyTorch's defaults; see {@link BCELoss#builder()} for options. */
    public static BCELoss bce() {
        return BCELoss.create();
    }

    /** {@code nn.BCEWithLogitsLoss} with PyTorch's defaults; see {@link BCEWithLogitsLoss#builder()} for options. */
    public static BCEWithLogitsLoss bceWithLogits() {
        return BCEWithLogitsLoss.create();
    }

    /** {@code nn.MarginRankingLoss} with PyTorch's defaults; see {@link MarginRankingLoss#builder()} for options. */
    public static MarginRankingLoss marginRanking() {
        return MarginRankingLoss.create();
    }

    /** {@code nn.HingeEmbeddingLoss} with PyTorch's defaults; see {@link HingeEmbeddingLoss#builder()} for options. */
    public static HingeEmbeddingLoss hingeEmbedding() {
        return HingeEmbeddingLoss.create();
    }

    /** {@code nn.CosineEmbeddingLoss} with PyTorch's defaults; see {@link CosineEmbeddingLoss#builder()} for options. */
    public static CosineEmbeddingLoss cosineEmbedding() {
        return CosineEmbeddingLoss.create();
    }

    /** {@code nn.SoftMarginLoss} with PyTorch's defaults; see {@link SoftMarginLoss#builder()} for options. */
    public static SoftMarginLoss softMargin() {
        return SoftMarginLoss.create();
    }

    /** {@code nn.MultiLabelSoftMarginLoss} with PyTorch's defaults; see {@link MultiLabelSoftMarginLoss#builder()} for options. */
    public static MultiLabelSoftMarginLoss multiLabelSoftMargin() {
        return MultiLabelSoftMarginLoss.create();
    }

    /** {@code nn.MultiLabelMarginLoss} with PyTorch's defaults; see {@link MultiLabelMarginLoss#builder()} for options. */
    public static MultiLabelMarginLoss multiLabelMargin() {
        return MultiLabelMarginLoss.create();
    }

    /** {@code nn.MultiMarginLoss} with PyTorch's defaults; see {@link MultiMarginLoss#builder()} for options. */
    public static MultiMarginLoss multiMargin() {
        return MultiMarginLoss.create();
    }

    /** {@code nn.TripletMarginLoss} with PyTorch's defaults; see {@link TripletMarginLoss#builder()} for options. */
    public static TripletMarginLoss tripletMargin() {
        return TripletMarginLoss.create();
    }

    /** {@code nn.TripletMarginWithDistanceLoss} with PyTorch's defaults; see {@link TripletMarginWithDistanceLoss#builder()} for options. */
    public static TripletMarginWithDistanceLoss tripletMarginWithDistance() {
        return TripletMarginWithDistanceLoss.create();
    }

    /** {@code nn.CTCLoss} with PyTorch's defaults; see {@link CTCLoss#builder()} for options. */
    public static CTCLoss ctc() {
        return CTCLoss.create();
    }

    /**
     * {@code nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs)} with PyTorch's defaults for the rest
     * (div_value 4.0, no head bias); see {@link AdaptiveLogSoftmaxWithLoss#builder()} for options.
     */
    public static AdaptiveLogSoftmaxWithLoss adaptiveLogSoftmaxWithLoss(long inFeatures, long nClasses, long... cutoffs) {
        return AdaptiveLogSoftmaxWithLoss.create(inFeatures, nClasses, cutoffs);
    }

    /**
     * Builds a loss from PyTorch's class name and keyword options, e.g.
     * {@code fromPyTorch("CrossEntropyLoss", Map.of("label_smoothing", 0.1))}. Tensor options (weight, pos_weight)
     * are {@link org.loss4j.Tensor}s.
     *
     * @throws IllegalArgumentException for an unknown loss, an unknown option, or a value out of range
     */
    public static Loss fromPyTorch(String name, Map<String, ?> options) {
        LossOptions o = new LossOptions(name, options);
        return switch (name) {
            case "MSELoss" -> MSELoss.fromOptions(o);
            case "L1Loss" -> L1Loss.fromOptions(o);
            case "HuberLoss" -> HuberLoss.fromOptions(o);
            case "SmoothL1Loss" -> SmoothL1Loss.fromOptions(o);
            case "GaussianNLLLoss" -> GaussianNLLLoss.fromOptions(o);
            case "PoissonNLLLoss" -> PoissonNLLLoss.fromOptions(o);
            case "KLDivLoss" -> KLDivLoss.fromOptions(o);
            case "NLLLoss" -> NLLLoss.fromOptions(o);
            case "CrossEntropyLoss" -> CrossEntropyLoss.fromOptions(o);
            case "BCELoss" -> BCELoss.fromOptions(o);
            case "BCEWithLogitsLoss" -> BCEWithLogitsLoss.fromOptions(o);
            case "MarginRankingLoss" -> MarginRankingLoss.fromOptions(o);
            case "HingeEmbeddingLoss" -> HingeEmbeddingLoss.fromOptions(o);
            case "CosineEmbeddingLoss" -> CosineEmbeddingLoss.fromOptions(o);
            case "SoftMarginLoss" -> SoftMarginLoss.fromOptions(o);
            case "MultiLabelSoftMarginLoss" -> MultiLabelSoftMarginLoss.fromOptions(o);
            case "MultiLabelMarginLoss" -> MultiLabelMarginLoss.fromOptions(o);
            case "MultiMarginLoss" -> MultiMarginLoss.fromOptions(o);
            case "TripletMarginLoss" -> TripletMarginLoss.fromOptions(o);
            case "TripletMarginWithDistanceLoss" -> TripletMarginWithDistanceLoss.fromOptions(o);
            case "CTCLoss" -> CTCLoss.fromOptions(o);
            case "AdaptiveLogSoftmaxWithLoss" -> AdaptiveLogSoftmaxWithLoss.fromOptions(o);
            default -> throw new IllegalArgumentException("unknown loss '" + name + "'; known: " + NAMES);
        };
    }
}

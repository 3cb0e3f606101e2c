package org.loss4j.bench;

import org.openjdk.jmh.annotations.Param;

/** Element-wise losses over n = 1e3, 1e6, 1.6e7 elements, and KLDivLoss over (N, C) rows. Sizes: see {@link Workloads}. */
public class PointwiseBench extends LossBenchmark {

    @Param({"MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "SoftMarginLoss", "BCELoss", "BCEWithLogitsLoss",
            "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "KLDivLoss"})
    public String loss;

    @Param({"small", "medium", "large"})
    public String size;

    @Override
    protected String loss() {
        return loss;
    }

    @Override
    protected String size() {
        return size;
    }
}

package org.loss4j.bench;

import org.openjdk.jmh.annotations.Param;

/** Losses over (N, D) embeddings: (8, 16), (256, 512), (4096, 1024). Sizes: see {@link Workloads}. */
public class EmbeddingBench extends LossBenchmark {

    @Param({"CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss"})
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

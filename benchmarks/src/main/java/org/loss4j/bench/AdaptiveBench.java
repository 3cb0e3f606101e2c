package org.loss4j.bench;

import org.openjdk.jmh.annotations.Param;

/** AdaptiveLogSoftmaxWithLoss: a batch of N hidden states over a large vocabulary. Sizes: see {@link Workloads}. */
public class AdaptiveBench extends LossBenchmark {

    @Param({"AdaptiveLogSoftmaxWithLoss"})
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

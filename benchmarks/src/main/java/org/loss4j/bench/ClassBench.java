package org.loss4j.bench;

import org.openjdk.jmh.annotations.Param;

/** Losses over (N, C) class scores: (8, 10), (4, 128000), (32, 32000). Sizes: see {@link Workloads}. */
public class ClassBench extends LossBenchmark {

    @Param({"CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss"})
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

package org.loss4j.bench;

import org.openjdk.jmh.annotations.Param;

/** CTCLoss at (T, N, C, S) = (50, 1, 20, 10), (200, 32, 30, 60), (500, 64, 80, 150). Sizes: see {@link Workloads}. */
public class CtcBench extends LossBenchmark {

    @Param({"CTCLoss"})
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

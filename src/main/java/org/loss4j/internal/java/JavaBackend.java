package org.loss4j.internal.java;

import org.loss4j.Device;
import org.loss4j.internal.ops.CtcOps;
import org.loss4j.internal.ops.LinearOps;
import org.loss4j.internal.ops.MarginOps;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.ops.PointwiseOps;
import org.loss4j.internal.ops.ReduceOps;
import org.loss4j.internal.ops.SoftmaxOps;

/** The pure-Java backend: always present, the numerical reference for the others. */
public final class JavaBackend implements Ops {

    public static final JavaBackend INSTANCE = new JavaBackend();

    private final PointwiseOps pointwise = new JavaPointwiseOps();
    private final ReduceOps reduce = new JavaReduceOps();
    private final SoftmaxOps softmax = new JavaSoftmaxOps();
    private final MarginOps margin = new JavaMarginOps();
    private final CtcOps ctc = new JavaCtcOps();
    private final LinearOps linear = new JavaLinearOps();

    private JavaBackend() {}

    @Override
    public String name() {
        return "java";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return "";
    }

    @Override
    public String description() {
        return "pure Java reference (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " processors;"
                + " float32 kernels: " + org.loss4j.internal.java.vector.Vectorization.description() + "; "
                + Parallel.describe() + ")";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public PointwiseOps pointwise() {
        return pointwise;
    }

    @Override
    public ReduceOps reduce() {
        return reduce;
    }

    @Override
    public SoftmaxOps softmax() {
        return softmax;
    }

    @Override
    public MarginOps margin() {
        return margin;
    }

    @Override
    public CtcOps ctc() {
        return ctc;
    }

    @Override
    public LinearOps linear() {
        return linear;
    }

    @Override
    public String toString() {
        return "java";
    }
}

package org.loss4j.internal.onednn;

import org.loss4j.Device;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.ops.CtcOps;
import org.loss4j.internal.ops.LinearOps;
import org.loss4j.internal.ops.MarginOps;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.ops.PointwiseOps;
import org.loss4j.internal.ops.ReduceOps;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * The oneDNN backend: softmax/log-softmax, reductions, element-wise and binary chains and matmul run as oneDNN
 * primitives on float32 tensors in native memory; float64 (which oneDNN's CPU engine lacks), heap-backed tensors,
 * class picks, margin kernels and CTC are served by the Java backend, and {@code explain} says so.
 */
public final class OneDnnBackend implements Ops {

    public static final OneDnnBackend INSTANCE = new OneDnnBackend();

    private final JavaBackend java = JavaBackend.INSTANCE;
    private final SoftmaxOps softmax = new OneDnnSoftmaxOps(java.softmax());
    private final ReduceOps reduce = new OneDnnReduceOps(java.reduce());
    private final PointwiseOps pointwise = new OneDnnPointwiseOps(java.pointwise());
    private final LinearOps linear = new OneDnnLinearOps(java.linear());

    private OneDnnBackend() {}

    private static final long MIN_ELEMENTS = parseMin();

    private static long parseMin() {
        String v = org.loss4j.internal.Config.ONEDNN_MIN_ELEMENTS.get();
        try {
            long n = Long.parseLong(v);
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(org.loss4j.internal.Config.ONEDNN_MIN_ELEMENTS.property()
                + " must be a whole number >= 0, got '" + v + "'");
    }

    /** True if a call of {@code work} elements (or multiply-adds) is large enough to pay for a primitive execution. */
    static boolean worthNative(long work) {
        return work >= MIN_ELEMENTS;
    }

    @Override
    public String name() {
        return "onednn";
    }

    @Override
    public boolean isAvailable() {
        return OneDnnRuntime.unavailableReason() == null;
    }

    @Override
    public String unavailableReason() {
        String r = OneDnnRuntime.unavailableReason();
        return r == null ? "" : r;
    }

    @Override
    public String description() {
        if (!isAvailable()) return "unavailable: " + unavailableReason();
        OneDnnRuntime rt = OneDnnRuntime.get();
        return "oneDNN " + rt.version() + ", " + rt.cpuRuntime() + " CPU runtime, effective ISA " + rt.isa()
                + ", natives from " + rt.loadedFrom();
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public SoftmaxOps softmax() {
        return softmax;
    }

    @Override
    public ReduceOps reduce() {
        return reduce;
    }

    @Override
    public PointwiseOps pointwise() {
        return pointwise;
    }

    @Override
    public LinearOps linear() {
        return linear;
    }

    /** oneDNN has no margin kernels: the Java backend's serve. */
    @Override
    public MarginOps margin() {
        return java.margin();
    }

    /** oneDNN has no CTC: the Java backend's alpha/beta recursion serves (over whatever log-softmax produced the input). */
    @Override
    public CtcOps ctc() {
        return java.ctc();
    }

    @Override
    public String servedBy(String group, org.loss4j.DType dtype) {
        return switch (group) {
            case "margin" -> "java (oneDNN has no margin or distance primitive)";
            case "ctc" -> "java (oneDNN has no CTC primitive)";
            default -> dtype == org.loss4j.DType.F32 ? group(group).servedBy(dtype)
                    : "java (oneDNN's CPU engine has no " + dtype.torchName() + " kernels)";
        };
    }

    @Override
    public String servedBy(String group) {
        return servedBy(group, org.loss4j.DType.F32);
    }

    @Override
    public String toString() {
        return "onednn";
    }
}

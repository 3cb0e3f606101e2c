package org.loss4j.internal.cuda;

import java.util.List;
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
 * The CUDA backend: losses over tensors on {@link Device#cuda(int)}. It loads the real CUDA runtime, cuBLAS and cuDNN
 * and probes the driver and GPUs ({@link CudaRuntime}), and needs loss4j's nvcc-built kernels ({@link CudaKernels});
 * where any of that is missing it reports itself unavailable with the first thing that stops it (missing libraries
 * and how to get them, mismatched versions, no usable GPU such as {@code cudaGetDeviceCount} returning 35, or a jar
 * built without nvcc). Nothing else in loss4j depends on it: asking for it explicitly throws with that reason.
 *
 * <p>What runs where (README, section CUDA): the pointwise losses with a known term (MSE, L1, SmoothL1, Huber,
 * MarginRanking, HingeEmbedding, BCEWithLogits without weights, KLDiv) run as fused kernels on the device; every
 * other loss, and every op group without kernels, runs through the explicit host-staged path (device to host
 * copies, the Java backend, host to device copies), which {@code explain} reports. Validation always happens in Java
 * before any native call.
 */
public final class CudaBackend implements Ops {

    public static final CudaBackend INSTANCE = new CudaBackend();

    private final JavaBackend java = JavaBackend.INSTANCE;
    private final PointwiseOps pointwise =
            new CudaPointwiseOps(HostStaged.of(PointwiseOps.class, java.pointwise(), HostStaged.SERVED_BY));
    private final ReduceOps reduce = HostStaged.of(ReduceOps.class, java.reduce(), HostStaged.SERVED_BY);
    private final SoftmaxOps softmax =
            new CudaSoftmaxOps(HostStaged.of(SoftmaxOps.class, java.softmax(), HostStaged.SERVED_BY));
    private final MarginOps margin = HostStaged.of(MarginOps.class, java.margin(), HostStaged.SERVED_BY);
    private final CtcOps ctc = new CudaCtcOps(HostStaged.of(CtcOps.class, java.ctc(), HostStaged.SERVED_BY));
    private final LinearOps linear =
            new CudaLinearOps(HostStaged.of(LinearOps.class, java.linear(), HostStaged.SERVED_BY));

    private CudaBackend() {}

    /** The op groups that have native CUDA paths (each can be forced onto the host with {@link #STAGED_PROPERTY}). */
    public static final List<String> NATIVE_GROUPS = List.of("pointwise", "softmax", "linear", "ctc");

    /**
     * {@code -Dloss4j.cuda.staged=true} (or {@code all}) host-stages every loss; a comma-separated list of groups
     * ({@code pointwise,softmax,linear,ctc}) host-stages only the losses and ops of those groups, so a GPU run can
     * isolate a faulty native path. Read on every call (tests may change it).
     */
    public static final String STAGED_PROPERTY = "loss4j.cuda.staged";

    /** True if {@code group} is forced onto the host-staged path by {@link #STAGED_PROPERTY}. */
    public static boolean staged(String group) {
        String v = System.getProperty(STAGED_PROPERTY);
        if (v == null || v.isBlank() || v.equalsIgnoreCase("false")) return false;
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("all")) return true;
        for (String g : v.split(",")) {
            if (g.strip().equalsIgnoreCase(group)) return true;
        }
        return false;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean isAvailable() {
        return CudaContext.EMULATED || CudaRuntime.get().unavailableReason() == null;
    }

    @Override
    public String unavailableReason() {
        if (CudaContext.EMULATED) return "";
        String r = CudaRuntime.get().unavailableReason();
        return r == null ? "" : r;
    }

    /** The versions found, and why the backend cannot run where it cannot. */
    @Override
    public String description() {
        if (CudaContext.EMULATED) {
            return "EMULATED CUDA device (loss4j.cuda.emulate=true, tests only): host memory, every op host-staged";
        }
        CudaRuntime rt = CudaRuntime.get();
        String kernels = CudaKernels.unavailableReason() == null
                ? "; kernels " + CudaKernels.buildInfo().getProperty("archs", "built") : "";
        // The first line of the reason: a missing library's full search report is in unavailableReason().
        return rt.describe() + kernels
                + (isAvailable() ? "" : "; unavailable: " + unavailableReason().lines().findFirst().orElse(""));
    }

    @Override
    public Device device() {
        return Device.cuda(0);
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

    /** For {@code explain}: what serves a pointwise term over these operands (kernel, or host-staged and why). */
    public static String pointwiseServedBy(org.loss4j.internal.ops.PointwiseFn fn, org.loss4j.Tensor[] operands, long n) {
        return CudaPointwiseOps.servedBy(fn, operands, n);
    }

    /** True if {@code fn} has a CUDA kernel (so a pointwise loss over it runs on the device, not host-staged). */
    public static boolean hasPointwiseKernel(org.loss4j.internal.ops.PointwiseFn fn) {
        return CudaPointwiseOps.term(fn) != null; // emulated: the same device-side plumbing, host-staged kernel
    }

    /** Why a CTC call is host-staged (checks on host copies of targets and lengths), or null where cuDNN may serve it. */
    public static String ctcStagedBecause(org.loss4j.Tensor logProbs, org.loss4j.Tensor targets, org.loss4j.Tensor inputLengths,
                                          org.loss4j.Tensor targetLengths, long blank) {
        return CudaCtcOps.stagedBecause(logProbs, targets, inputLengths, targetLengths, blank);
    }

    /** Why the softmax group is host-staged for {@code [outer, n, inner]}, or null when cuDNN serves it. */
    public static String softmaxStagedBecause(long outer, long n, long inner) {
        return CudaSoftmaxOps.stagedBecause(outer, n, inner);
    }

    @Override
    public String toString() {
        return "cuda";
    }
}

package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.cuda.cudnn.cudnn_h;
import org.loss4j.internal.ops.SoftmaxOps;

/**
 * Softmax, log-softmax and the class-index target kernels on the GPU. Softmax and log-softmax, forward and backward,
 * are cuDNN's ({@code cudnnSoftmaxForward/Backward}, {@code CUDNN_SOFTMAX_ACCURATE} / {@code CUDNN_SOFTMAX_LOG},
 * {@code CUDNN_SOFTMAX_MODE_CHANNEL} over an NCHW descriptor shaped {@code (outer, C, inner, 1)}, so the softmax runs
 * over C for every (outer, inner) position); the NLL gather and its gradient scatter are loss4j's kernels
 * ({@code loss4j_class_forward_*}, {@code loss4j_class_backward_*}; sums finished in double in a fixed order). Class
 * targets have been copied to the host and validated by the loss before any of this runs. Class weights (a host
 * tensor, a loss option) are copied into a per-thread device buffer per call.
 *
 * <p>Host-staged instead (the Java kernels, arguments copied through the host): probability targets, the emulated
 * device, sizes cuDNN's int descriptors cannot hold, and {@code -Dloss4j.cuda.staged=softmax}.
 */
final class CudaSoftmaxOps implements SoftmaxOps {

    private final SoftmaxOps staged;

    CudaSoftmaxOps(SoftmaxOps staged) {
        this.staged = staged;
    }

    @Override
    public String servedBy() {
        return "cuda (cuDNN softmax/log-softmax, loss4j_class_* kernels for class-index targets; probability targets"
                + " host-staged java)";
    }

    /** Why this group is host-staged for a softmax over {@code [outer, n, inner]}, or null when it runs natively. */
    static String stagedBecause(long outer, long n, long inner) {
        if (CudaContext.EMULATED) return "emulated device";
        if (CudaBackend.staged("softmax")) return "loss4j.cuda.staged names softmax";
        if (outer > Integer.MAX_VALUE || n > Integer.MAX_VALUE || inner > Integer.MAX_VALUE
                || outer * n * inner > Integer.MAX_VALUE) {
            return "more than 2^31 - 1 elements (cuDNN tensor descriptors hold int sizes)";
        }
        return null;
    }

    private static boolean native_(long outer, long n, long inner) {
        return stagedBecause(outer, n, inner) == null;
    }

    // ---- per-thread descriptors and scaling factors ------------------------------------------------------------

    private static final class Desc {
        final Arena arena = Arena.ofAuto();
        final MemorySegment dims = arena.allocate(ValueLayout.JAVA_INT, 4);
        final MemorySegment strides = arena.allocate(ValueLayout.JAVA_INT, 4);
        final MemorySegment oneF = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        final MemorySegment zeroF = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        final MemorySegment oneD = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1d);
        final MemorySegment zeroD = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 0d);
        final MemorySegment sums = arena.allocate(ValueLayout.JAVA_DOUBLE, 3);
        MemorySegment tensor; // one cudnnTensorDescriptor_t, reset per call (x, y, dy, dx share one layout)
    }

    private static final ThreadLocal<Desc> DESC = ThreadLocal.withInitial(Desc::new);

    /** This thread's tensor descriptor set to NCHW {@code (outer, n, inner, 1)} of {@code dtype}, fully packed. */
    private static MemorySegment descriptor(Desc d, DType dtype, long outer, long n, long inner) {
        if (d.tensor == null) {
            MemorySegment out = CudaContext.outPointer();
            Cuda.checkCudnn("cudnnCreateTensorDescriptor", cudnn_h.cudnnCreateTensorDescriptor(out));
            d.tensor = out.get(ValueLayout.ADDRESS, 0); // lives as long as the thread's process (one per thread)
        }
        int[] dims = {(int) outer, (int) n, (int) inner, 1};
        int[] strides = {(int) (n * inner), (int) inner, 1, 1};
        for (int k = 0; k < 4; k++) {
            d.dims.setAtIndex(ValueLayout.JAVA_INT, k, dims[k]);
            d.strides.setAtIndex(ValueLayout.JAVA_INT, k, strides[k]);
        }
        int type = dtype == DType.F32 ? cudnn_h.CUDNN_DATA_FLOAT() : cudnn_h.CUDNN_DATA_DOUBLE();
        Cuda.checkCudnn("cudnnSetTensorNdDescriptor", cudnn_h.cudnnSetTensorNdDescriptor(d.tensor, type, 4, d.dims, d.strides));
        return d.tensor;
    }

    private static MemorySegment ptr(Tensor t) {
        return t == null ? MemorySegment.NULL : MemorySegment.ofAddress(t.deviceAddress());
    }

    private void forward(int algo, Tensor x, long outer, long n, long inner, Tensor out) {
        Device device = x.device();
        Desc d = DESC.get();
        MemorySegment desc = descriptor(d, x.dtype(), outer, n, inner);
        boolean f32 = x.dtype() == DType.F32;
        // alpha and beta in host memory, float for float data and double for double data (cuDNN's scaling rule)
        Cuda.checkCudnn("cudnnSoftmaxForward", cudnn_h.cudnnSoftmaxForward(CudaContext.cudnn(device), algo,
                cudnn_h.CUDNN_SOFTMAX_MODE_CHANNEL(), f32 ? d.oneF : d.oneD, desc, ptr(x), f32 ? d.zeroF : d.zeroD, desc,
                ptr(out)));
    }

    @Override
    public void logSoftmax(Tensor x, long outer, long n, long inner, Tensor out) {
        if (!native_(outer, n, inner)) {
            staged.logSoftmax(x, outer, n, inner, out);
            return;
        }
        if (outer * n * inner == 0) return;
        forward(cudnn_h.CUDNN_SOFTMAX_LOG(), x, outer, n, inner, out);
    }

    @Override
    public void softmax(Tensor x, long outer, long n, long inner, Tensor out) {
        if (!native_(outer, n, inner)) {
            staged.softmax(x, outer, n, inner, out);
            return;
        }
        if (outer * n * inner == 0) return;
        forward(cudnn_h.CUDNN_SOFTMAX_ACCURATE(), x, outer, n, inner, out);
    }

    @Override
    public void logSoftmaxBackward(Tensor gradOut, Tensor y, long outer, long n, long inner, Tensor gradIn) {
        if (!native_(outer, n, inner)) {
            staged.logSoftmaxBackward(gradOut, y, outer, n, inner, gradIn);
            return;
        }
        long count = outer * n * inner;
        if (count == 0) return;
        Device device = y.device();
        MemorySegment dy = ptr(gradOut);
        if (gradOut.deviceAddress() == gradIn.deviceAddress()) {
            // cuDNN does not document dx == dy for the backward: give it a copy of dy
            long bytes = count * y.dtype().byteSize();
            MemorySegment copy = CudaContext.scratch(device, CudaContext.SLOT_TMP, bytes);
            Cuda.checkRuntime("cudaMemcpyAsync", org.loss4j.internal.cuda.cudart.cudart_h.cudaMemcpyAsync(
                    MemorySegment.ofAddress(copy.address()), dy, bytes,
                    org.loss4j.internal.cuda.cudart.cudart_h.cudaMemcpyDeviceToDevice(), CudaContext.stream(device)));
            dy = MemorySegment.ofAddress(copy.address());
        }
        Desc d = DESC.get();
        MemorySegment desc = descriptor(d, y.dtype(), outer, n, inner);
        boolean f32 = y.dtype() == DType.F32;
        // CUDNN_SOFTMAX_LOG backward: dx = dy - exp(y) * sum_c dy
        Cuda.checkCudnn("cudnnSoftmaxBackward", cudnn_h.cudnnSoftmaxBackward(CudaContext.cudnn(device),
                cudnn_h.CUDNN_SOFTMAX_LOG(), cudnn_h.CUDNN_SOFTMAX_MODE_CHANNEL(), f32 ? d.oneF : d.oneD, desc, ptr(y),
                desc, dy, f32 ? d.zeroF : d.zeroD, desc, ptr(gradIn)));
    }

    // ---- class-index targets -----------------------------------------------------------------------------------

    private static String suffix(Tensor logpLike, Tensor target) {
        return (logpLike.dtype() == DType.F32 ? "f32" : "f64") + (target.dtype() == DType.I64 ? "_i64" : "_i32");
    }

    /** The class weights on the device (this thread's buffer), or NULL. */
    private static MemorySegment deviceWeight(Device device, Tensor weight) {
        if (weight == null) return MemorySegment.NULL;
        if (weight.isCuda()) return ptr(weight);
        MemorySegment w = CudaContext.scratch(device, CudaContext.SLOT_WEIGHT, weight.byteSize());
        CudaMemory.copy(weight.segment(), Device.CPU, w, device, weight.byteSize());
        return MemorySegment.ofAddress(w.address());
    }

    private static boolean classNative(Tensor target) {
        return !CudaContext.EMULATED && !CudaBackend.staged("softmax") && target.isCuda()
                && (target.dtype() == DType.I64 || target.dtype() == DType.I32);
    }

    @Override
    public void classTargetForward(Tensor logp, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                   long outer, long n, long inner, Tensor lossOut, double[] sums) {
        if (!classNative(target)) {
            staged.classTargetForward(logp, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums);
            return;
        }
        long positions = outer * inner;
        if (positions == 0) {
            sums[NLL_SUM] = sums[SMOOTH_SUM] = sums[WEIGHT_SUM] = 0;
            return;
        }
        Device device = logp.device();
        int max = CudaKernels.MAX_BLOCKS;
        MemorySegment buf = CudaContext.scratch(device, CudaContext.SLOT_SUMS, 8L * (3L * max + 3));
        long base = buf.address();
        MemorySegment w = deviceWeight(device, weight);
        int blocks = CudaKernels.blocksFor(positions);
        CudaKernels.launch(device, "loss4j_class_forward_" + suffix(logp, target), blocks, positions, n, inner, ptr(logp),
                ptr(target), w, ignoreIndex, smoothing, ptr(lossOut), MemorySegment.ofAddress(base), (long) max);
        for (int k = 0; k < 3; k++) {
            CudaKernels.launch(device, "loss4j_sum_partials", 1, (long) blocks,
                    MemorySegment.ofAddress(base + 8L * k * max), MemorySegment.ofAddress(base + 8L * (3L * max + k)));
        }
        Desc d = DESC.get();
        CudaMemory.copy(MemorySegment.ofAddress(base + 8L * 3 * max).reinterpret(24), device, d.sums, Device.CPU, 24);
        sums[NLL_SUM] = d.sums.getAtIndex(ValueLayout.JAVA_DOUBLE, 0);
        sums[SMOOTH_SUM] = d.sums.getAtIndex(ValueLayout.JAVA_DOUBLE, 1);
        sums[WEIGHT_SUM] = d.sums.getAtIndex(ValueLayout.JAVA_DOUBLE, 2);
    }

    @Override
    public void classTargetBackward(Tensor target, Tensor weight, long ignoreIndex, double smoothing, Tensor gradOut,
                                    double gradScale, long outer, long n, long inner, Tensor gradLogp) {
        if (!classNative(target)) {
            staged.classTargetBackward(target, weight, ignoreIndex, smoothing, gradOut, gradScale, outer, n, inner, gradLogp);
            return;
        }
        long total = outer * n * inner;
        if (total == 0) return;
        Device device = gradLogp.device();
        MemorySegment w = deviceWeight(device, weight);
        CudaKernels.launch(device, "loss4j_class_backward_" + suffix(gradLogp, target), CudaKernels.blocksFor(total), total,
                n, inner, ptr(target), w, ignoreIndex, smoothing, ptr(gradOut), gradScale, ptr(gradLogp));
    }

    /**
     * The composition of the interface's default, with the log-probabilities in this thread's device scratch instead
     * of the host workspace.
     */
    @Override
    public void crossEntropyClassTarget(Tensor input, Tensor target, Tensor weight, long ignoreIndex, double smoothing,
                                        long outer, long n, long inner, Tensor lossOut, double[] sums,
                                        Tensor gradInput, Tensor gradOut, double gradScale, boolean divideByWeightSum) {
        if (!classNative(target) || !native_(outer, n, inner)) {
            staged.crossEntropyClassTarget(input, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums,
                    gradInput, gradOut, gradScale, divideByWeightSum);
            return;
        }
        Device device = input.device();
        long bytes = input.byteSize();
        // SLOT_TMP is also logSoftmaxBackward's copy of an aliased dy: keep logp in a slot of its own
        MemorySegment lp = CudaContext.scratch(device, CudaContext.SLOT_CTC_WORKSPACE, Math.max(1, bytes));
        Tensor logp = Tensor.wrapDevice(lp.address(), input.dtype(), device, input.shape());
        composeCrossEntropyClassTarget(logp, input, target, weight, ignoreIndex, smoothing, outer, n, inner, lossOut, sums,
                gradInput, gradOut, gradScale, divideByWeightSum);
    }

    // ---- probability targets: host-staged ----------------------------------------------------------------------

    @Override
    public double probTargetForward(Tensor logp, Tensor target, Tensor weight, double smoothing, long outer, long n,
                                    long inner, Tensor lossOut) {
        return staged.probTargetForward(logp, target, weight, smoothing, outer, n, inner, lossOut);
    }

    @Override
    public void probTargetBackward(Tensor logp, Tensor target, Tensor weight, double smoothing, Tensor gradOut,
                                   double gradScale, long outer, long n, long inner, Tensor gradLogp, Tensor gradTarget) {
        staged.probTargetBackward(logp, target, weight, smoothing, gradOut, gradScale, outer, n, inner, gradLogp, gradTarget);
    }
}

package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.cuda.cudnn.cudnn_h;
import org.loss4j.internal.ops.CtcOps;

/**
 * CTC on cuDNN where its limits hold: {@code cudnnSetCTCLossDescriptor_v9} (float compute, softmax normalisation,
 * {@code CUDNN_CTC_ZERO_OOB_GRADIENTS}), {@code cudnnGetCTCLossWorkspaceSize_v8}, {@code cudnnCTCLoss_v8} with
 * {@code CUDNN_CTC_LOSS_ALGO_DETERMINISTIC}; labels and lengths as int32 in device memory. cuDNN takes unnormalised
 * activations and applies a softmax; for log-normalised {@code log_probs} (the CTC contract) that softmax is the
 * identity on the probabilities and cuDNN's gradient (with respect to the activations) is PyTorch's native CTC
 * gradient {@code exp(lp) - posterior}. The upstream gradient is applied by {@code loss4j_ctc_scale_grad_f32}; the
 * reduction is the loss's host step over the N costs.
 *
 * <p>Host-staged (the Java CTC) otherwise, {@link #stagedBecause} says why: float64, blank != 0, a target of 256 or
 * more labels, a target longer than its input or without a feasible alignment (input length below target length
 * plus repeated neighbours: cuDNN's behaviour there is not PyTorch's inf), sizes beyond int, rows of
 * {@code log_probs} that are not log-normalised (checked on the device by {@code loss4j_ctc_unnormalised_rows_f32}),
 * the emulated device, {@code -Dloss4j.cuda.staged=ctc}. Targets and lengths arrive as host tensors: the loss copies
 * them to the host for validation first.
 */
final class CudaCtcOps implements CtcOps {

    private final CtcOps staged;

    CudaCtcOps(CtcOps staged) {
        this.staged = staged;
    }

    @Override
    public String servedBy() {
        return "cuda (cuDNN cudnnCTCLoss_v8, deterministic, where its limits hold; else host-staged java)";
    }

    /** Tolerance on |logsumexp| of a log_probs row for cuDNN's renormalisation to be harmless. */
    static final double NORMALISED_TOL = 1e-4;

    private static Tensor host(Tensor t) {
        return t == null || !t.isCuda() ? t : t.toHost();
    }

    /** Why this call is host-staged (checks that need no device read), or null where cuDNN can serve it. */
    static String stagedBecause(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank) {
        if (CudaContext.EMULATED) return "emulated device";
        if (CudaBackend.staged("ctc")) return "loss4j.cuda.staged names ctc";
        if (logProbs.dtype() != DType.F32) return "cuDNN's CTC takes float32 only, log_probs is " + logProbs.dtype().torchName();
        if (blank != 0) return "cuDNN's CTC needs blank = 0, got " + blank;
        if (!logProbs.isCuda()) return "log_probs on the host";
        long T = logProbs.size(0), C = logProbs.size(logProbs.dim() - 1), N = logProbs.numel() / Math.max(1, T * C);
        if (T * N * C > Integer.MAX_VALUE) return "more than 2^31 - 1 elements";
        Tensor tg = host(targets), il = host(inputLengths.reshape(N)), tl = host(targetLengths.reshape(N));
        boolean padded = targets.dim() == 2;
        long offset = 0;
        for (long n = 0; n < N; n++) {
            long len = tl.getLong(n), in = il.getLong(n);
            if (len >= 256) return "target_lengths[" + n + "] = " + len + " (cuDNN's CTC takes labels shorter than 256)";
            long start = padded ? n * targets.size(1) : offset;
            long repeats = 0;
            for (long s = 1; s < len; s++) if (tg.getLong(start + s) == tg.getLong(start + s - 1)) repeats++;
            if (in < len + repeats) {
                return "item " + n + " has no feasible alignment for cuDNN (input length " + in + " < target length "
                        + len + " + " + repeats + " repeats)";
            }
            offset += len;
        }
        return null;
    }

    private static final class State {
        final Arena arena = Arena.ofAuto();
        final MemorySegment dims = arena.allocate(ValueLayout.JAVA_INT, 3);
        final MemorySegment strides = arena.allocate(ValueLayout.JAVA_INT, 3);
        final MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
        final MemorySegment count = arena.allocate(ValueLayout.JAVA_DOUBLE);
        MemorySegment tensor;
        MemorySegment ctc;
    }

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    @Override
    public void ctcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank,
                        Tensor nll, Tensor gradScale, boolean zeroInfinity, Tensor grad) {
        if (stagedBecause(logProbs, targets, inputLengths, targetLengths, blank) != null
                || unnormalisedRows(logProbs, inputLengths) > 0) {
            staged.ctcLoss(logProbs, targets, inputLengths, targetLengths, blank, nll, gradScale, zeroInfinity, grad);
            return;
        }
        Device device = logProbs.device();
        long T = logProbs.size(0), N = logProbs.size(1), C = logProbs.size(2);
        Tensor tg = host(targets), il = host(inputLengths), tl = host(targetLengths);
        // int32 in device memory: labels (concatenated), label lengths, input lengths
        long total = 0;
        int maxLen = 1;
        for (long n = 0; n < N; n++) {
            total += tl.getLong(n);
            maxLen = (int) Math.max(maxLen, tl.getLong(n));
        }
        long ints = total + 2 * N;
        State st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ValueLayout.JAVA_INT, Math.max(1, ints));
            long k = 0, offset = 0;
            boolean padded = targets.dim() == 2;
            for (long n = 0; n < N; n++) {
                long len = tl.getLong(n), start = padded ? n * targets.size(1) : offset;
                for (long s = 0; s < len; s++) h.setAtIndex(ValueLayout.JAVA_INT, k++, (int) tg.getLong(start + s));
                offset += len;
            }
            for (long n = 0; n < N; n++) h.setAtIndex(ValueLayout.JAVA_INT, total + n, (int) tl.getLong(n));
            for (long n = 0; n < N; n++) h.setAtIndex(ValueLayout.JAVA_INT, total + N + n, (int) il.getLong(n));
            MemorySegment d = CudaContext.scratch(device, CudaContext.SLOT_CTC_INTS, 4 * Math.max(1, ints));
            CudaMemory.copy(h, Device.CPU, d, device, 4 * ints);
            long base = d.address();
            MemorySegment labels = MemorySegment.ofAddress(base);
            MemorySegment labelLengths = MemorySegment.ofAddress(base + 4 * total);
            MemorySegment inputLens = MemorySegment.ofAddress(base + 4 * (total + N));

            MemorySegment handle = CudaContext.cudnn(device);
            MemorySegment out = CudaContext.outPointer();
            if (st.tensor == null) {
                Cuda.checkCudnn("cudnnCreateTensorDescriptor", cudnn_h.cudnnCreateTensorDescriptor(out));
                st.tensor = out.get(ValueLayout.ADDRESS, 0);
            }
            if (st.ctc == null) {
                Cuda.checkCudnn("cudnnCreateCTCLossDescriptor", cudnn_h.cudnnCreateCTCLossDescriptor(out));
                st.ctc = out.get(ValueLayout.ADDRESS, 0);
            }
            int[] dims = {(int) T, (int) N, (int) C};
            int[] strides = {(int) (N * C), (int) C, 1};
            for (int i = 0; i < 3; i++) {
                st.dims.setAtIndex(ValueLayout.JAVA_INT, i, dims[i]);
                st.strides.setAtIndex(ValueLayout.JAVA_INT, i, strides[i]);
            }
            Cuda.checkCudnn("cudnnSetTensorNdDescriptor", cudnn_h.cudnnSetTensorNdDescriptor(st.tensor,
                    cudnn_h.CUDNN_DATA_FLOAT(), 3, st.dims, st.strides));
            Cuda.checkCudnn("cudnnSetCTCLossDescriptor_v9", cudnn_h.cudnnSetCTCLossDescriptor_v9(st.ctc,
                    cudnn_h.CUDNN_DATA_FLOAT(), cudnn_h.CUDNN_LOSS_NORMALIZATION_SOFTMAX(),
                    cudnn_h.CUDNN_CTC_ZERO_OOB_GRADIENTS(), maxLen));
            int algo = cudnn_h.CUDNN_CTC_LOSS_ALGO_DETERMINISTIC();
            Cuda.checkCudnn("cudnnGetCTCLossWorkspaceSize_v8", cudnn_h.cudnnGetCTCLossWorkspaceSize_v8(handle, algo,
                    st.ctc, st.tensor, grad == null ? MemorySegment.NULL : st.tensor, st.size));
            long wsBytes = st.size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment ws = CudaContext.scratch(device, CudaContext.SLOT_CTC_WORKSPACE, Math.max(1, wsBytes));
            // costs (N float) then the upstream scales (N double, 8-aligned after the costs)
            long costsBytes = (4 * N + 7) / 8 * 8;
            MemorySegment cs = CudaContext.scratch(device, CudaContext.SLOT_CTC_SCALE, costsBytes + 8 * N);
            MemorySegment costs = MemorySegment.ofAddress(cs.address());
            Cuda.checkCudnn("cudnnCTCLoss_v8", cudnn_h.cudnnCTCLoss_v8(handle, algo, st.ctc, st.tensor,
                    MemorySegment.ofAddress(logProbs.deviceAddress()), labels, labelLengths, inputLens, costs, st.tensor,
                    grad == null ? MemorySegment.NULL : MemorySegment.ofAddress(grad.deviceAddress()), wsBytes,
                    MemorySegment.ofAddress(ws.address())));
            if (grad != null) {
                MemorySegment scale = MemorySegment.ofAddress(cs.address() + costsBytes);
                CudaMemory.copy(gradScale.isCuda() ? MemorySegment.ofAddress(gradScale.deviceAddress()).reinterpret(8 * N)
                        : gradScale.segment(), gradScale.device(), scale.reinterpret(8 * N), device, 8 * N);
                CudaKernels.launch(device, "loss4j_ctc_scale_grad_f32", CudaKernels.blocksFor(T * N * C), T * N * C, N, C,
                        MemorySegment.ofAddress(grad.deviceAddress()), scale);
            }
            MemorySegment hc = a.allocate(ValueLayout.JAVA_FLOAT, N);
            CudaMemory.copy(costs.reinterpret(4 * N), device, hc, Device.CPU, 4 * N);
            for (long n = 0; n < N; n++) nll.setDouble(n, hc.getAtIndex(ValueLayout.JAVA_FLOAT, n));
        }
    }

    /** Rows (t, n) with t < input_lengths[n] whose logsumexp is not within {@link #NORMALISED_TOL} of 0. */
    private static long unnormalisedRows(Tensor logProbs, Tensor inputLengths) {
        Device device = logProbs.device();
        long T = logProbs.size(0), N = logProbs.size(1), C = logProbs.size(2);
        Tensor il = host(inputLengths);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ValueLayout.JAVA_INT, N);
            for (long n = 0; n < N; n++) h.setAtIndex(ValueLayout.JAVA_INT, n, (int) il.getLong(n));
            MemorySegment d = CudaContext.scratch(device, CudaContext.SLOT_CTC_INTS, 4 * N);
            CudaMemory.copy(h, Device.CPU, d, device, 4 * N);
            int max = CudaKernels.MAX_BLOCKS;
            MemorySegment buf = CudaContext.scratch(device, CudaContext.SLOT_SUMS, 8L * (max + 1));
            long rows = T * N;
            int blocks = CudaKernels.blocksFor(rows);
            CudaKernels.launch(device, "loss4j_ctc_unnormalised_rows_f32", blocks, rows, N, C,
                    MemorySegment.ofAddress(logProbs.deviceAddress()), MemorySegment.ofAddress(d.address()),
                    NORMALISED_TOL, MemorySegment.ofAddress(buf.address()));
            CudaKernels.launch(device, "loss4j_sum_partials", 1, (long) blocks, MemorySegment.ofAddress(buf.address()),
                    MemorySegment.ofAddress(buf.address() + 8L * max));
            State st = STATE.get();
            CudaMemory.copy(MemorySegment.ofAddress(buf.address() + 8L * max).reinterpret(8), device, st.count, Device.CPU, 8);
            return (long) st.count.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }
}

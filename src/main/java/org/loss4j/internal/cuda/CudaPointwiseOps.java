package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.PointwiseFn;
import org.loss4j.internal.ops.PointwiseOps;

/**
 * Fused pointwise loss terms on the GPU: one grid-stride kernel per known term ({@link PointwiseFn.Kind} other than
 * OTHER) computes the terms, the gradients and per-block sums in double; a second kernel adds the partials in a fixed
 * order (deterministic). Broadcast operands, terms of kind OTHER and the emulated device go through the host-staged
 * Java kernel instead ({@link #servedBy(PointwiseFn, Tensor[], long)} says which). Each thread keeps one small device
 * buffer for the partial sums per device: no allocation per call.
 */
final class CudaPointwiseOps implements PointwiseOps {

    private final PointwiseOps staged;

    CudaPointwiseOps(PointwiseOps staged) {
        this.staged = staged;
    }

    @Override
    public String servedBy() {
        return "cuda (fused kernels loss4j_pw_* for known terms with same-shape operands; others host-staged java)";
    }

    /** The kernel's term name for {@code fn}, or null where no kernel serves it. */
    static String term(PointwiseFn fn) {
        return switch (fn.kind()) {
            case SQUARED_ERROR -> "squared_error";
            case ABSOLUTE_ERROR -> "absolute_error";
            case SMOOTH_L1 -> fn.parameter() == 0 ? "absolute_error" : "smooth_l1";
            case HUBER -> "huber";
            case RANKING_HINGE -> fn.arity() == 3 ? "ranking_hinge" : null;
            case EMBEDDING_HINGE -> "embedding_hinge";
            case LOGITS_BCE -> fn.arity() == 2 ? "logits_bce" : null;
            case KL_DIV -> fn.arity() == 2 ? "kl_div" : null;
            default -> null;
        };
    }

    /** The kernel that serves this call, or null for the host-staged path. */
    static String kernelFor(PointwiseFn fn, Tensor[] operands, long n) {
        if (CudaContext.EMULATED) return null;
        String term = term(fn);
        if (term == null) return null;
        for (int j = 0; j < fn.arity(); j++) {
            if (operands[j].numel() != n) return null; // broadcast: host-staged
        }
        return "loss4j_pw_" + term + (operands[0].dtype() == DType.F32 ? "_f32" : "_f64");
    }

    /** What serves {@code fn} over these operands, for {@code explain}. */
    static String servedBy(PointwiseFn fn, Tensor[] operands, long n) {
        String k = kernelFor(fn, operands, n);
        if (k != null) return "cuda kernel " + k;
        String why = CudaContext.EMULATED ? "emulated device" : term(fn) == null ? "no kernel for term " + fn.name()
                : "broadcast operands";
        return HostStaged.SERVED_BY.replace("no CUDA kernel for this op group yet", why);
    }

    private static final class Scratch {
        MemorySegment[] partials = new MemorySegment[0]; // per device: MAX_BLOCKS + 1 doubles
        final MemorySegment host = Arena.ofAuto().allocate(ValueLayout.JAVA_DOUBLE);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public double apply(PointwiseFn fn, Tensor[] operands, long[] outShape, Tensor outNone, Tensor gradOut,
                        double gradScale, Tensor[] grads) {
        long n = 1;
        for (long d : outShape) n *= d;
        String kernel = kernelFor(fn, operands, n);
        if (kernel == null) return staged.apply(fn, operands, outShape, outNone, gradOut, gradScale, grads);
        if (n == 0) return 0;
        Device device = operands[0].device();
        int k = fn.arity();
        Scratch s = SCRATCH.get();
        int dev = device.index();
        if (dev >= s.partials.length) s.partials = java.util.Arrays.copyOf(s.partials, dev + 1);
        if (s.partials[dev] == null) {
            s.partials[dev] = CudaMemory.allocateAuto(device, 8L * (CudaKernels.MAX_BLOCKS + 1));
        }
        MemorySegment partials = ptr(s.partials[dev].address());
        MemorySegment result = ptr(s.partials[dev].address() + 8L * CudaKernels.MAX_BLOCKS);
        int blocks = CudaKernels.blocksFor(n);
        CudaKernels.launch(device, kernel, blocks, n, ptr(operands[0]), k > 1 ? ptr(operands[1]) : null,
                k > 2 ? ptr(operands[2]) : null, fn.parameter(), ptr(outNone), ptr(gradOut), gradScale,
                grads == null ? null : ptr(grads[0]), grads == null || k < 2 ? null : ptr(grads[1]),
                grads == null || k < 3 ? null : ptr(grads[2]), partials);
        CudaKernels.launch(device, "loss4j_sum_partials", 1, (long) blocks, partials, result);
        CudaMemory.copy(result.reinterpret(8), device, s.host, Device.CPU, 8);
        return s.host.get(ValueLayout.JAVA_DOUBLE, 0);
    }

    private static MemorySegment ptr(Tensor t) {
        return t == null ? null : ptr(t.deviceAddress());
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }
}

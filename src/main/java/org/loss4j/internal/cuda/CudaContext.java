package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.Device;
import java.util.ArrayList;
import java.util.List;
import org.loss4j.internal.cuda.cublas.cublas_h;
import org.loss4j.internal.cuda.cudart.cudart_h;
import org.loss4j.internal.cuda.cudnn.cudnn_h;

/**
 * Per-thread CUDA state, created on first use and reused by every later call of that thread: the current device and
 * one stream per device. The stream is a blocking stream ({@code cudaStreamDefault} flags), so it orders itself with
 * the legacy default stream that other CUDA code in the process may use. loss4j enqueues its copies and kernels on it
 * and synchronizes it before a call returns, so callers see finished results. Streams live as long as the process
 * (one per thread and device). Each thread also caches, per device, a cuDNN and a cuBLAS handle bound to its stream
 * (created lazily, destroyed by a shutdown hook) and grow-only device scratch buffers (no {@code cudaMalloc} per
 * call after warm-up).
 */
public final class CudaContext {

    private CudaContext() {}

    private static final class PerThread {
        int current = -1;
        MemorySegment[] streams = new MemorySegment[0];
        MemorySegment[] cudnn = new MemorySegment[0];
        MemorySegment[] cublas = new MemorySegment[0];
        /** Device scratch per device and slot ({@link #scratch}), grown by doubling, never shrunk. */
        MemorySegment[][] scratch = new MemorySegment[0][];
        final MemorySegment out = Arena.ofAuto().allocate(ValueLayout.ADDRESS);
    }

    /** Handles to destroy at JVM shutdown (cuDNN and cuBLAS handles of every thread). */
    private static final List<Runnable> DESTROY = new ArrayList<>();
    private static boolean hookInstalled;

    private static synchronized void destroyAtShutdown(Runnable r) {
        DESTROY.add(r);
        if (!hookInstalled) {
            hookInstalled = true;
            Runtime.getRuntime().addShutdownHook(new Thread(CudaContext::destroyAll, "loss4j-cuda-handles"));
        }
    }

    /** Destroys every cached handle (at shutdown: failures, e.g. an unloading runtime, are ignored). */
    private static void destroyAll() {
        List<Runnable> all;
        synchronized (CudaContext.class) {
            all = new ArrayList<>(DESTROY);
            DESTROY.clear();
        }
        for (Runnable r : all) {
            try {
                r.run();
            } catch (Throwable ignored) {
                // the process is ending; nothing to report to
            }
        }
    }

    private static final ThreadLocal<PerThread> THREAD = ThreadLocal.withInitial(PerThread::new);

    /**
     * Test-only: {@code -Dloss4j.cuda.emulate=true} makes "device" memory host memory (copies are memcpy) and the
     * CUDA backend available with every op served through its host-staging path, so that the device plumbing
     * (tensors, copies, staging, validation, the vector suite on CUDA tensors) runs on machines without a GPU. No
     * kernel and no CUDA library call runs in this mode; {@code info} and {@code explain} say EMULATED.
     */
    public static final boolean EMULATED = Boolean.getBoolean("loss4j.cuda.emulate");

    /** Throws {@link IllegalStateException} with the reason unless CUDA memory can be used on {@code device}. */
    public static void requireDevice(Device device) {
        if (EMULATED) return;
        CudaRuntime rt = CudaRuntime.get();
        String reason = rt.gpuUnavailableReason();
        if (reason != null) {
            throw new IllegalStateException("CUDA is unavailable here, so " + device + " memory cannot be used: " + reason);
        }
        if (device.index() >= rt.deviceCount()) {
            throw new IllegalArgumentException(device + " does not exist: the CUDA runtime sees " + rt.deviceCount()
                    + (rt.deviceCount() == 1 ? " GPU" : " GPUs"));
        }
    }

    /** Makes {@code device} current on this thread (checked) and returns this thread's stream on it. */
    public static MemorySegment stream(Device device) {
        requireDevice(device);
        PerThread t = THREAD.get();
        int i = device.index();
        if (t.current != i) {
            Cuda.checkRuntime("cudaSetDevice", cudart_h.cudaSetDevice(i));
            t.current = i;
        }
        if (i >= t.streams.length) t.streams = java.util.Arrays.copyOf(t.streams, i + 1);
        MemorySegment s = t.streams[i];
        if (s == null) {
            Cuda.checkRuntime("cudaStreamCreateWithFlags", cudart_h.cudaStreamCreateWithFlags(t.out, cudart_h.cudaStreamDefault()));
            s = t.streams[i] = t.out.get(ValueLayout.ADDRESS, 0);
        }
        return s;
    }

    /**
     * This thread's cuDNN handle on {@code device}, bound to this thread's stream there ({@code cudnnSetStream}):
     * created on first use ({@code cudnnCreate}), reused by every later call of the thread, destroyed at JVM shutdown.
     */
    public static MemorySegment cudnn(Device device) {
        MemorySegment stream = stream(device);
        PerThread t = THREAD.get();
        int i = device.index();
        if (i >= t.cudnn.length) t.cudnn = java.util.Arrays.copyOf(t.cudnn, i + 1);
        MemorySegment h = t.cudnn[i];
        if (h == null) {
            Cuda.checkCudnn("cudnnCreate", cudnn_h.cudnnCreate(t.out));
            MemorySegment created = t.out.get(ValueLayout.ADDRESS, 0);
            try {
                Cuda.checkCudnn("cudnnSetStream", cudnn_h.cudnnSetStream(created, stream));
            } catch (RuntimeException e) {
                cudnn_h.cudnnDestroy(created);
                throw e;
            }
            h = t.cudnn[i] = created;
            destroyAtShutdown(() -> {
                cudart_h.cudaSetDevice(i);
                cudnn_h.cudnnDestroy(created);
            });
        }
        return h;
    }

    /**
     * This thread's cuBLAS handle on {@code device}, bound to this thread's stream there ({@code cublasSetStream_v2};
     * host pointer mode, default math: no TF32, as PyTorch's float32 matmul defaults): created on first use,
     * destroyed at JVM shutdown.
     */
    public static MemorySegment cublas(Device device) {
        MemorySegment stream = stream(device);
        PerThread t = THREAD.get();
        int i = device.index();
        if (i >= t.cublas.length) t.cublas = java.util.Arrays.copyOf(t.cublas, i + 1);
        MemorySegment h = t.cublas[i];
        if (h == null) {
            Cuda.checkCublas("cublasCreate_v2", cublas_h.cublasCreate_v2(t.out));
            MemorySegment created = t.out.get(ValueLayout.ADDRESS, 0);
            try {
                Cuda.checkCublas("cublasSetStream_v2", cublas_h.cublasSetStream_v2(created, stream));
                Cuda.checkCublas("cublasSetPointerMode_v2",
                        cublas_h.cublasSetPointerMode_v2(created, cublas_h.CUBLAS_POINTER_MODE_HOST()));
                Cuda.checkCublas("cublasSetMathMode", cublas_h.cublasSetMathMode(created, cublas_h.CUBLAS_DEFAULT_MATH()));
            } catch (RuntimeException e) {
                cublas_h.cublasDestroy_v2(created);
                throw e;
            }
            h = t.cublas[i] = created;
            destroyAtShutdown(() -> {
                cudart_h.cudaSetDevice(i);
                cublas_h.cublasDestroy_v2(created);
            });
        }
        return h;
    }

    /** Scratch slots of {@link #scratch}: each holds one buffer per thread and device. */
    static final int SLOT_TMP = 0, SLOT_WEIGHT = 1, SLOT_SUMS = 2, SLOT_CTC_WORKSPACE = 3, SLOT_CTC_INTS = 4,
            SLOT_CTC_SCALE = 5, SLOT_COUNT = 6;

    /**
     * At least {@code bytes} of this thread's device scratch in {@code slot} on {@code device} (contents undefined,
     * valid until the thread's next request for the same slot). Grown by doubling and kept: after warm-up no call
     * allocates device memory.
     */
    static MemorySegment scratch(Device device, int slot, long bytes) {
        PerThread t = THREAD.get();
        int i = device.index();
        if (i >= t.scratch.length) t.scratch = java.util.Arrays.copyOf(t.scratch, i + 1);
        if (t.scratch[i] == null) t.scratch[i] = new MemorySegment[SLOT_COUNT];
        MemorySegment s = t.scratch[i][slot];
        if (s == null || s.byteSize() < bytes) {
            long size = Math.max(256, Long.highestOneBit(Math.max(1, bytes) - 1) << 1);
            s = t.scratch[i][slot] = CudaMemory.allocateAuto(device, size);
        }
        return s;
    }

    /** Waits for everything enqueued on this thread's stream of {@code device}. */
    public static void synchronize(Device device) {
        if (EMULATED) return;
        Cuda.checkRuntime("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream(device)));
    }

    /** A scratch pointer-sized out-parameter of this thread (valid until the next call that uses it). */
    static MemorySegment outPointer() {
        return THREAD.get().out;
    }
}

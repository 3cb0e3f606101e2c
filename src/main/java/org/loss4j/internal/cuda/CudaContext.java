package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.Device;
import org.loss4j.internal.cuda.cudart.cudart_h;

/**
 * Per-thread CUDA state, created on first use and reused by every later call of that thread: the current device and
 * one stream per device. The stream is a blocking stream ({@code cudaStreamDefault} flags), so it orders itself with
 * the legacy default stream that other CUDA code in the process may use. loss4j enqueues its copies and kernels on it
 * and synchronizes it before a call returns, so callers see finished results. Streams live as long as the process
 * (one per thread and device).
 */
public final class CudaContext {

    private CudaContext() {}

    private static final class PerThread {
        int current = -1;
        MemorySegment[] streams = new MemorySegment[0];
        final MemorySegment out = Arena.ofAuto().allocate(ValueLayout.ADDRESS);
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

package org.loss4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.loss4j.internal.cuda.CudaMemory;

/**
 * A scope for device memory on one CUDA device, like {@link Arena} for host memory: tensors made with
 * {@link Tensor#zeros(CudaArena, DType, long...)} or {@link Tensor#copyTo(CudaArena)} live until {@link #close()},
 * which frees every allocation exactly once ({@code cudaFree}); a second {@code close()} does nothing. Using a tensor
 * of a closed arena throws {@link IllegalStateException}. An arena may be shared between threads.
 *
 * <pre>{@code
 * try (CudaArena arena = CudaArena.open(Device.cuda(0))) {
 *     Tensor logits = Tensor.of(hostData, 32, 1000).copyTo(arena);
 *     ...
 * }
 * }</pre>
 *
 * Opening an arena needs no GPU; allocating in it throws {@link IllegalStateException} with the reason where the CUDA
 * backend cannot run (e.g. no driver: {@code cudaGetDeviceCount} returned 35).
 */
public final class CudaArena implements AutoCloseable {

    private final Device device;
    private final Arena arena = Arena.ofShared();
    private boolean closed;

    private CudaArena(Device device) {
        this.device = device;
    }

    /** A new arena for device memory on {@code device} (a CUDA device). */
    public static CudaArena open(Device device) {
        Objects.requireNonNull(device, "device");
        if (device.isCpu()) {
            throw new IllegalArgumentException("CudaArena needs a CUDA device, got " + device + " (use java.lang.foreign.Arena for host memory)");
        }
        return new CudaArena(device);
    }

    /** The device whose memory this arena allocates. */
    public Device device() {
        return device;
    }

    /** True until {@link #close()}. */
    public synchronized boolean isAlive() {
        return !closed;
    }

    /** {@code bytes} of zeroed device memory whose view is scoped to this arena (never dereferenced by the host). */
    synchronized MemorySegment allocateZeroed(long bytes) {
        if (closed) throw new IllegalStateException("CudaArena on " + device + " is closed");
        return CudaMemory.allocate(device, bytes, arena);
    }

    /** Frees every allocation of this arena (once); tensors in it become unusable. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close(); // runs each allocation's cudaFree exactly once
    }

    @Override
    public String toString() {
        return "CudaArena[" + device + (closed ? ", closed]" : "]");
    }
}

package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.loss4j.Device;
import org.loss4j.internal.cuda.cudart.cudart_h;

/**
 * Device memory and host/device copies for {@link org.loss4j.Tensor} and {@link org.loss4j.CudaArena}. A device
 * allocation is represented on the host by a {@link MemorySegment} view whose address is the device pointer and whose
 * scope is the allocation's lifetime; the view is never dereferenced (the tensor API refuses host access to device
 * tensors), and closing its scope runs {@code cudaFree} exactly once.
 */
public final class CudaMemory {

    private CudaMemory() {}

    /**
     * {@code bytes} of zeroed memory on {@code device} (at least one byte is allocated, so the address is never NULL),
     * freed when {@code scope} closes (or, for an automatic arena, when the view becomes unreachable).
     */
    public static MemorySegment allocate(Device device, long bytes, Arena scope) {
        if (CudaContext.EMULATED) {
            if (device.isCpu()) throw new IllegalArgumentException("not a CUDA device: " + device);
            return scope.allocate(Math.max(1, bytes), 16).asSlice(0, bytes); // zeroed host memory standing in
        }
        MemorySegment stream = CudaContext.stream(device);
        MemorySegment out = CudaContext.outPointer();
        int status = cudart_h.cudaMalloc(out, Math.max(1, bytes));
        if (status == cudart_h.cudaErrorMemoryAllocation()) {
            throw new CudaException(Cuda.RUNTIME, "cudaMalloc", status, Cuda.runtimeErrorName(status),
                    "out of device memory on " + device + " allocating " + bytes + " bytes");
        }
        Cuda.checkRuntime("cudaMalloc", status);
        MemorySegment ptr = out.get(ValueLayout.ADDRESS, 0);
        try {
            if (bytes > 0) {
                Cuda.checkRuntime("cudaMemsetAsync", cudart_h.cudaMemsetAsync(ptr, 0, bytes, stream));
                Cuda.checkRuntime("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream));
            }
        } catch (RuntimeException e) {
            cudart_h.cudaFree(ptr);
            throw e;
        }
        int index = device.index();
        return ptr.reinterpret(bytes, scope, s -> free(index, s));
    }

    /** As {@link #allocate} with an automatic scope: freed once the returned view is unreachable. */
    public static MemorySegment allocateAuto(Device device, long bytes) {
        return allocate(device, bytes, Arena.ofAuto());
    }

    private static void free(int device, MemorySegment s) {
        // Runs once per allocation: at CudaArena.close() or from the cleaner thread. cudaFree synchronizes the
        // device, so work still queued on the memory finishes first. A failure here cannot be thrown to anyone.
        cudart_h.cudaSetDevice(device);
        int status = cudart_h.cudaFree(MemorySegment.ofAddress(s.address()));
        if (status != cudart_h.cudaSuccess() && status != cudart_h.cudaErrorCudartUnloading()) {
            System.err.println("loss4j: cudaFree on cuda:" + device + " failed: " + Cuda.runtimeErrorName(status));
        }
    }

    /**
     * Copies {@code bytes} from {@code src} (on {@code srcDevice}) to {@code dst} (on {@code dstDevice}) and waits for
     * the copy. Host memory that is not native (a heap segment) goes through a native staging buffer.
     */
    public static void copy(MemorySegment src, Device srcDevice, MemorySegment dst, Device dstDevice, long bytes) {
        if (bytes == 0) return;
        if (CudaContext.EMULATED) {
            MemorySegment.copy(src, 0, dst, 0, bytes);
            return;
        }
        Device gpu = srcDevice.isCpu() ? dstDevice : srcDevice;
        MemorySegment stream = CudaContext.stream(gpu);
        if (!srcDevice.isCpu()) CudaContext.requireDevice(srcDevice);
        if (!dstDevice.isCpu()) CudaContext.requireDevice(dstDevice);
        int kind;
        if (srcDevice.isCpu()) {
            kind = cudart_h.cudaMemcpyHostToDevice();
        } else if (dstDevice.isCpu()) {
            kind = cudart_h.cudaMemcpyDeviceToHost();
        } else {
            kind = cudart_h.cudaMemcpyDeviceToDevice(); // across devices too: unified addressing (cudaMemcpyDefault semantics)
            if (!srcDevice.equals(dstDevice)) kind = cudart_h.cudaMemcpyDefault();
        }
        MemorySegment s = src;
        MemorySegment d = dst;
        try (Arena staging = Arena.ofConfined()) {
            if (srcDevice.isCpu() && !src.isNative()) {
                s = staging.allocate(bytes, 16);
                MemorySegment.copy(src, 0, s, 0, bytes);
            }
            if (dstDevice.isCpu() && !dst.isNative()) d = staging.allocate(bytes, 16);
            Cuda.checkRuntime("cudaMemcpyAsync", cudart_h.cudaMemcpyAsync(raw(d), raw(s), bytes, kind, stream));
            Cuda.checkRuntime("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream));
            if (d != dst) MemorySegment.copy(d, 0, dst, 0, bytes);
        }
    }

    /** Sets {@code bytes} of device memory at {@code ptr} to zero, on this thread's stream (not waited for). */
    public static void zero(Device device, MemorySegment ptr, long bytes) {
        if (bytes == 0) return;
        if (CudaContext.EMULATED) {
            ptr.asSlice(0, bytes).fill((byte) 0);
            return;
        }
        Cuda.checkRuntime("cudaMemsetAsync", cudart_h.cudaMemsetAsync(raw(ptr), 0, bytes, CudaContext.stream(device)));
    }

    /** The address as a zero-length segment (what the generated bindings pass as a pointer). */
    static MemorySegment raw(MemorySegment s) {
        return MemorySegment.ofAddress(s.address());
    }
}

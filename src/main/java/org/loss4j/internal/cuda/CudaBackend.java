package org.loss4j.internal.cuda;

import org.loss4j.Backend;
import org.loss4j.Device;

/**
 * The CUDA backend's handle. It loads the real CUDA runtime, cuBLAS and cuDNN and probes the driver and GPUs
 * ({@link CudaRuntime}); until the device tensors and kernels land (issue 4) it reports itself unavailable with the
 * first thing that stops it: missing libraries (and how to get them), mismatched versions, no usable GPU (e.g.
 * {@code cudaGetDeviceCount} returned 35, no driver), or the kernels not being there yet. Nothing else in loss4j
 * depends on it: asking for it explicitly throws with that reason.
 */
public final class CudaBackend implements Backend {

    public static final CudaBackend INSTANCE = new CudaBackend();

    private CudaBackend() {}

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean isAvailable() {
        return CudaRuntime.get().unavailableReason() == null;
    }

    @Override
    public String unavailableReason() {
        String r = CudaRuntime.get().unavailableReason();
        return r == null ? "" : r;
    }

    /** The versions found, and why the backend cannot run where it cannot. */
    @Override
    public String description() {
        CudaRuntime rt = CudaRuntime.get();
        // The first line of the reason: a missing library's full search report is in unavailableReason().
        return rt.describe() + (isAvailable() ? "" : "; unavailable: " + unavailableReason().lines().findFirst().orElse(""));
    }

    @Override
    public Device device() {
        return Device.cuda(0);
    }

    @Override
    public String toString() {
        return "cuda";
    }
}

package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.loss4j.internal.cuda.cublas.cublas_h;
import org.loss4j.internal.cuda.cudart.cudaDeviceProp;
import org.loss4j.internal.cuda.cudart.cudart_h;
import org.loss4j.internal.cuda.cudnn.cudnn_h;
import org.loss4j.internal.nativelib.CudaLibraries;
import org.loss4j.internal.nativelib.CudaLibraries.Component;

/**
 * What this process can do with CUDA, probed once: the libraries loaded ({@link CudaLibraries}), their versions
 * (checked against the headers the bindings were generated from), the driver, and the GPUs. Probing never throws:
 * whatever stops the backend becomes {@link #unavailableReason()}. It needs no GPU: without a driver,
 * {@code cudaGetDeviceCount} returns {@code cudaErrorInsufficientDriver} (35) and the reason says so.
 */
public final class CudaRuntime {

    private static volatile CudaRuntime instance;

    private final CudaLibraries.Result libraries;
    private String runtimeVersion; // null where the library is missing
    private String driverVersion;
    private String cublasVersion;
    private String cudnnVersion;
    private String cudnnBuiltFor;
    private int deviceCount = -1;
    private final List<String> devices = new ArrayList<>();
    private final String unavailableReason;

    private CudaRuntime() {
        this.libraries = Cuda.load();
        String reason;
        try {
            reason = probe();
        } catch (CudaException | LinkageError e) { // LinkageError: a symbol the bindings expect is missing
            reason = e.toString();
        }
        this.unavailableReason = reason;
    }

    /** The probed runtime (the first call loads the libraries and probes; later calls are free). Never throws. */
    public static CudaRuntime get() {
        CudaRuntime r = instance;
        if (r == null) {
            synchronized (CudaRuntime.class) {
                r = instance;
                if (r == null) instance = r = new CudaRuntime();
            }
        }
        return r;
    }

    /**
     * Why the CUDA backend cannot run here, or null if it can: {@link #gpuUnavailableReason()}, else the reason the
     * loss kernels cannot be used ({@link CudaKernels#unavailableReason()}, e.g. the jar was built without nvcc).
     */
    public String unavailableReason() {
        return unavailableReason != null ? unavailableReason : CudaKernels.unavailableReason();
    }

    /**
     * Why CUDA memory cannot be used here (libraries missing or mismatched, no driver, no GPU), or null if the
     * libraries load and at least one GPU works with cuDNN and cuBLAS handles.
     */
    public String gpuUnavailableReason() {
        return unavailableReason;
    }

    public CudaLibraries.Result libraries() {
        return libraries;
    }

    /** E.g. {@code 13.0}; null if the CUDA runtime is missing. */
    public String runtimeVersion() {
        return runtimeVersion;
    }

    /** E.g. {@code 13.0}, or {@code none} without a driver; null if the CUDA runtime is missing. */
    public String driverVersion() {
        return driverVersion;
    }

    /** E.g. {@code 13.1.1}; null if cuBLAS is missing. */
    public String cublasVersion() {
        return cublasVersion;
    }

    /** E.g. {@code 9.24.0}; null if cuDNN is missing. */
    public String cudnnVersion() {
        return cudnnVersion;
    }

    /** Number of GPUs the runtime sees; -1 if it could not tell. */
    public int deviceCount() {
        return deviceCount;
    }

    /** One line per GPU: ordinal, name, compute capability, memory. */
    public List<String> devices() {
        return List.copyOf(devices);
    }

    /** Versions and where the libraries came from, for {@code info}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("CUDA runtime ").append(orMissing(runtimeVersion));
        if (driverVersion != null) sb.append(" (driver ").append(driverVersion).append(')');
        sb.append(", cuBLAS ").append(orMissing(cublasVersion));
        sb.append(", cuDNN ").append(orMissing(cudnnVersion));
        if (cudnnBuiltFor != null) sb.append(" (for CUDA ").append(cudnnBuiltFor).append(')');
        if (deviceCount >= 0) sb.append("; ").append(deviceCount).append(deviceCount == 1 ? " GPU" : " GPUs");
        if (!devices.isEmpty()) sb.append(' ').append(devices);
        List<String> from = new ArrayList<>();
        for (CudaLibraries.Loaded l : libraries.loaded().values()) {
            from.add(l.component().fileName() + " from " + l.directory());
        }
        if (!from.isEmpty()) sb.append("; ").append(String.join(", ", from));
        return sb.toString();
    }

    private static String orMissing(String v) {
        return v == null ? "missing" : v;
    }

    /** Queries what the loaded libraries allow; returns the reason the backend cannot run, or null. */
    private String probe() {
        var loaded = libraries.loaded();
        List<String> mismatches = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            int runtimeMajor = -1;
            if (loaded.containsKey(Component.CUDART)) {
                Cuda.checkRuntime("cudaRuntimeGetVersion", cudart_h.cudaRuntimeGetVersion(out));
                int v = out.get(ValueLayout.JAVA_INT, 0);
                runtimeVersion = cudaVersion(v);
                runtimeMajor = v / 1000;
                // Succeeds with 0 when no driver is installed.
                Cuda.checkRuntime("cudaDriverGetVersion", cudart_h.cudaDriverGetVersion(out));
                int d = out.get(ValueLayout.JAVA_INT, 0);
                driverVersion = d == 0 ? "none" : cudaVersion(d);
                if (runtimeMajor != cudart_h.CUDART_VERSION() / 1000) {
                    mismatches.add("libcudart is CUDA " + runtimeVersion + " but the bindings were generated from CUDA "
                            + cudaVersion(cudart_h.CUDART_VERSION()) + " headers");
                }
            }
            if (loaded.containsKey(Component.CUBLAS)) {
                int[] parts = new int[3];
                int[] types = {cublas_h.MAJOR_VERSION(), cublas_h.MINOR_VERSION(), cublas_h.PATCH_LEVEL()};
                for (int i = 0; i < 3; i++) {
                    Cuda.checkCublas("cublasGetProperty", cublas_h.cublasGetProperty(types[i], out));
                    parts[i] = out.get(ValueLayout.JAVA_INT, 0);
                }
                cublasVersion = parts[0] + "." + parts[1] + "." + parts[2];
                if (parts[0] != cublas_h.CUBLAS_VER_MAJOR()) {
                    mismatches.add("cuBLAS is " + cublasVersion + " but the bindings were generated from cuBLAS "
                            + cublas_h.CUBLAS_VER_MAJOR() + "." + cublas_h.CUBLAS_VER_MINOR() + " headers");
                }
            }
            if (loaded.containsKey(Component.CUDNN)) {
                long v = cudnn_h.cudnnGetVersion();
                cudnnVersion = cudnnVersion(v);
                long builtFor = cudnn_h.cudnnGetCudartVersion();
                cudnnBuiltFor = cudaVersion((int) builtFor);
                if (v / 10000 != cudnn_h.CUDNN_MAJOR()) {
                    mismatches.add("cuDNN is " + cudnnVersion + " but the bindings were generated from cuDNN "
                            + cudnn_h.CUDNN_MAJOR() + "." + cudnn_h.CUDNN_MINOR() + " headers");
                }
                if (runtimeMajor >= 0 && builtFor / 1000 != runtimeMajor) {
                    mismatches.add("cuDNN " + cudnnVersion + " was built for CUDA " + cudnnBuiltFor
                            + " but the CUDA runtime is " + runtimeVersion + " (install nvidia-cudnn-cu"
                            + runtimeMajor + ")");
                }
            }
            if (!libraries.complete()) return libraries.failureMessage();
            if (!mismatches.isEmpty()) return "mismatched CUDA libraries: " + String.join("; ", mismatches);

            int status = cudart_h.cudaGetDeviceCount(out);
            if (status != cudart_h.cudaSuccess()) {
                return "no usable GPU: cudaGetDeviceCount returned " + status + " (" + Cuda.runtimeErrorName(status)
                        + ": " + Cuda.runtimeErrorString(status) + ")";
            }
            deviceCount = out.get(ValueLayout.JAVA_INT, 0);
            if (deviceCount == 0) return "no usable GPU: cudaGetDeviceCount found no device";
            MemorySegment prop = arena.allocate(cudaDeviceProp.layout());
            for (int i = 0; i < deviceCount; i++) {
                Cuda.checkRuntime("cudaGetDeviceProperties", cudart_h.cudaGetDeviceProperties(prop, i));
                devices.add("cuda:" + i + " " + cudaDeviceProp.name(prop).getString(0) + " (sm_"
                        + cudaDeviceProp.major(prop) + cudaDeviceProp.minor(prop) + ", "
                        + (cudaDeviceProp.totalGlobalMem(prop) >> 20) + " MiB)");
            }
            // Handles prove that cuDNN and cuBLAS work with this driver and GPU.
            Cuda.checkRuntime("cudaSetDevice", cudart_h.cudaSetDevice(0));
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            Cuda.checkCudnn("cudnnCreate", cudnn_h.cudnnCreate(handle));
            Cuda.checkCudnn("cudnnDestroy", cudnn_h.cudnnDestroy(handle.get(ValueLayout.ADDRESS, 0)));
            Cuda.checkCublas("cublasCreate_v2", cublas_h.cublasCreate_v2(handle));
            Cuda.checkCublas("cublasDestroy_v2", cublas_h.cublasDestroy_v2(handle.get(ValueLayout.ADDRESS, 0)));
        }
        return null;
    }

    /** CUDA's encoding: 1000 * major + 10 * minor, e.g. 13000 is 13.0. */
    static String cudaVersion(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** cuDNN 9's encoding: 10000 * major + 100 * minor + patch, e.g. 92400 is 9.24.0. */
    static String cudnnVersion(long v) {
        return (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100;
    }
}

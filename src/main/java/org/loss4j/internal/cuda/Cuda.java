package org.loss4j.internal.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.loss4j.internal.cuda.cublas.cublas_h;
import org.loss4j.internal.cuda.cudart.cudart_h;
import org.loss4j.internal.cuda.cudnn.cudnn_h;
import org.loss4j.internal.nativelib.CudaLibraries;

/**
 * Entry to the generated CUDA bindings ({@code org.loss4j.internal.cuda.cudart}, {@code .cublas}, {@code .cudnn}):
 * loads the natives before the first generated call, and turns every status into success or a
 * {@link CudaException}, one helper per library. The status names and descriptions come from the libraries
 * themselves ({@code cudaGetErrorName}, {@code cublasGetStatusName}, {@code cudnnGetErrorString}), which need no GPU.
 */
public final class Cuda {

    private Cuda() {}

    static final String RUNTIME = "CUDA runtime";
    static final String CUBLAS = "cuBLAS";
    static final String CUDNN = "cuDNN";

    /**
     * Searches for and loads the CUDA runtime, cuBLAS and cuDNN (once per JVM). Call before any generated function of
     * a library, and only if {@link CudaLibraries.Result#loaded()} has that library: a generated call whose symbol is
     * missing fails for good in that JVM.
     */
    public static CudaLibraries.Result load() {
        return CudaLibraries.load();
    }

    /** Throws unless {@code error} (a {@code cudaError_t} that {@code function} returned) is {@code cudaSuccess}. */
    public static void checkRuntime(String function, int error) {
        if (error != cudart_h.cudaSuccess()) {
            throw new CudaException(RUNTIME, function, error, runtimeErrorName(error), runtimeErrorString(error));
        }
    }

    /** Throws unless {@code status} (a {@code cublasStatus_t}) is {@code CUBLAS_STATUS_SUCCESS}. */
    public static void checkCublas(String function, int status) {
        if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) {
            throw new CudaException(CUBLAS, function, status, cString(cublas_h.cublasGetStatusName(status)),
                    cString(cublas_h.cublasGetStatusString(status)));
        }
    }

    /**
     * Throws unless {@code status} (a {@code cudnnStatus_t}) is {@code CUDNN_STATUS_SUCCESS}; the message carries
     * cuDNN's last error text for this thread ({@code cudnnGetLastErrorString}) where it has one.
     */
    public static void checkCudnn(String function, int status) {
        if (status != cudnn_h.CUDNN_STATUS_SUCCESS()) {
            throw new CudaException(CUDNN, function, status, cString(cudnn_h.cudnnGetErrorString(status)),
                    cudnnLastError());
        }
    }

    /** E.g. {@code cudaErrorInsufficientDriver}. */
    public static String runtimeErrorName(int error) {
        return cString(cudart_h.cudaGetErrorName(error));
    }

    /** E.g. {@code CUDA driver version is insufficient for CUDA runtime version}. */
    public static String runtimeErrorString(int error) {
        return cString(cudart_h.cudaGetErrorString(error));
    }

    private static String cudnnLastError() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(1024);
            cudnn_h.cudnnGetLastErrorString(buf, buf.byteSize());
            return buf.getString(0).strip();
        }
    }

    /** A NUL-terminated C string the library owns (the generated code sizes such segments to the address space). */
    private static String cString(MemorySegment s) {
        return s.equals(MemorySegment.NULL) ? "(null)" : s.getString(0);
    }
}

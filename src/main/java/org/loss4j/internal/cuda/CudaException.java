package org.loss4j.internal.cuda;

/**
 * A CUDA runtime, cuBLAS or cuDNN call returned a status other than success. The message names the library, the
 * function and the status (its C name, its number and the library's description of it).
 */
public final class CudaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String library;
    private final String function;
    private final int status;
    private final String statusName;

    CudaException(String library, String function, int status, String statusName, String detail) {
        super(function + " failed: " + statusName + " (" + library + " status " + status + ")"
                + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.library = library;
        this.function = function;
        this.status = status;
        this.statusName = statusName;
    }

    /** {@code CUDA runtime}, {@code cuBLAS} or {@code cuDNN}. */
    public String library() {
        return library;
    }

    /** The C function that failed, e.g. {@code cudnnCreate}. */
    public String function() {
        return function;
    }

    /** The raw {@code cudaError_t}, {@code cublasStatus_t} or {@code cudnnStatus_t}. */
    public int status() {
        return status;
    }

    /** The status's C name, e.g. {@code cudaErrorInsufficientDriver} or {@code CUDNN_STATUS_NOT_INITIALIZED}. */
    public String statusName() {
        return statusName;
    }
}

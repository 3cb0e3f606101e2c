package org.loss4j.internal.onednn;

/**
 * A oneDNN C API call returned a {@code dnnl_status_t} other than {@code dnnl_success}. The message names the
 * function and the status; {@link #isUnimplemented()} lets the backend fall back to Java where oneDNN has no
 * implementation for a shape or data type.
 */
public final class OneDnnException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String function;
    private final int status;

    OneDnnException(String function, int status, String detail) {
        super(function + " failed: " + OneDnn.statusName(status) + " (status " + status + ")"
                + (detail == null || detail.isEmpty() ? "" : "; " + detail));
        this.function = function;
        this.status = status;
    }

    /** The C function that failed, e.g. {@code dnnl_engine_create}. */
    public String function() {
        return function;
    }

    /** The raw {@code dnnl_status_t}. */
    public int status() {
        return status;
    }

    /** {@code dnnl_unimplemented}: no implementation for this combination (e.g. f64), so fall back. */
    public boolean isUnimplemented() {
        return status == OneDnn.UNIMPLEMENTED;
    }
}

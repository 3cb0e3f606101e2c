package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.util.Map;
import org.loss4j.internal.nativelib.NativeLibraries;

/**
 * Entry to the generated oneDNN bindings ({@code org.loss4j.internal.onednn.dnnl}): loads the natives before the
 * first generated call, and turns every {@code dnnl_status_t} into success or a {@link OneDnnException}.
 */
public final class OneDnn {

    private OneDnn() {}

    static final int UNIMPLEMENTED = dnnl_unimplemented();

    private static final Map<Integer, String> STATUS_NAMES = Map.ofEntries(
            Map.entry(dnnl_success(), "dnnl_success"),
            Map.entry(dnnl_out_of_memory(), "dnnl_out_of_memory"),
            Map.entry(dnnl_invalid_arguments(), "dnnl_invalid_arguments"),
            Map.entry(dnnl_unimplemented(), "dnnl_unimplemented"),
            Map.entry(dnnl_last_impl_reached(), "dnnl_last_impl_reached"),
            Map.entry(dnnl_runtime_error(), "dnnl_runtime_error"),
            Map.entry(dnnl_not_required(), "dnnl_not_required"),
            Map.entry(dnnl_invalid_graph(), "dnnl_invalid_graph"),
            Map.entry(dnnl_invalid_graph_op(), "dnnl_invalid_graph_op"),
            Map.entry(dnnl_invalid_shape(), "dnnl_invalid_shape"),
            Map.entry(dnnl_invalid_data_type(), "dnnl_invalid_data_type"));

    /**
     * Loads {@code libdnnl.so.3} and its dependencies (once per JVM); call before any generated function, since a
     * generated call whose symbol is missing fails for good.
     *
     * @throws UnsatisfiedLinkError listing what was tried and the fix
     */
    public static NativeLibraries.Loaded load() {
        return NativeLibraries.loadOneDnn();
    }

    /** Throws unless {@code status} is {@code dnnl_success}. */
    public static void check(String function, int status) {
        if (status != dnnl_success()) throw new OneDnnException(function, status, null);
    }

    /** As {@link #check(String, int)}, with what was being done (shapes, data types) in the message. */
    public static void check(String function, int status, String detail) {
        if (status != dnnl_success()) throw new OneDnnException(function, status, detail);
    }

    /** The C name of a {@code dnnl_status_t}, e.g. {@code dnnl_invalid_arguments}. */
    public static String statusName(int status) {
        return STATUS_NAMES.getOrDefault(status, "unknown dnnl_status_t");
    }
}

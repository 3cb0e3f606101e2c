package org.loss4j;

/**
 * A compute backend: the pure-Java reference (always present), oneDNN or CUDA. Obtain one from {@link Backends}.
 * A backend that could not load still exists as a handle that says why ({@link #unavailableReason()}).
 */
public interface Backend {

    /** Short name: {@code java}, {@code onednn}, {@code cuda}. */
    String name();

    /** True if this backend can run losses in this JVM. */
    boolean isAvailable();

    /** Why the backend is unavailable, or the empty string if it is available. */
    String unavailableReason();

    /** One line for {@code info}: version, runtime, ISA. */
    String description();

    /** The device this backend computes on. */
    Device device();
}

package org.loss4j.internal.ops;

/** A group of related kernels of one backend. {@link #servedBy()} names who really runs them (a fallback shows). */
public interface OpGroup {
    /** e.g. {@code "java"}, {@code "onednn"}, {@code "java (fallback from onednn: no CTC primitive)"}. */
    String servedBy();

    /** Who serves this group for tensors of {@code dtype} (a backend may fall back for some dtypes). */
    default String servedBy(org.loss4j.DType dtype) {
        return servedBy();
    }
}

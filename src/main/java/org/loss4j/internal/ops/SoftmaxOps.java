package org.loss4j.internal.ops;

/** Softmax kernels (see {@link Ops#softmax()}). */
public interface SoftmaxOps extends OpGroup {
}

package org.loss4j.internal.ops;

/** Ctc kernels (see {@link Ops#ctc()}). */
public interface CtcOps extends OpGroup {
}

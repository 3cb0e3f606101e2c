package org.loss4j.internal.ops;

/** Margin kernels (see {@link Ops#margin()}). */
public interface MarginOps extends OpGroup {
}

package org.loss4j.internal.java;

import org.loss4j.internal.ops.CtcOps;

/** Pure-Java Ctc kernels. */
final class JavaCtcOps implements CtcOps {

    @Override
    public String servedBy() {
        return "java";
    }
}

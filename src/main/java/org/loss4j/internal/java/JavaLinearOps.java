package org.loss4j.internal.java;

import org.loss4j.internal.ops.LinearOps;

/** Pure-Java linear algebra kernels. */
final class JavaLinearOps implements LinearOps {

    @Override
    public String servedBy() {
        return "java";
    }
}

package org.loss4j.internal.java;

import org.loss4j.internal.ops.MarginOps;

/** Pure-Java Margin kernels. */
final class JavaMarginOps implements MarginOps {

    @Override
    public String servedBy() {
        return "java";
    }
}

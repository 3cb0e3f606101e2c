package org.loss4j.internal.java;

import org.loss4j.internal.ops.SoftmaxOps;

/** Pure-Java Softmax kernels. */
final class JavaSoftmaxOps implements SoftmaxOps {

    @Override
    public String servedBy() {
        return "java";
    }
}

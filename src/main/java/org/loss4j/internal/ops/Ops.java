package org.loss4j.internal.ops;

import org.loss4j.Backend;

/**
 * The backend SPI. Losses are written once over these groups of kernels. The loss API validates every argument
 * first, so kernels may assume valid, alive, contiguous tensors of the documented shapes (Lucene's VectorUtil rule).
 * A backend that lacks a group returns another backend's implementation; {@link OpGroup#servedBy()} says so.
 */
public interface Ops extends Backend {

    /** Element-wise loss functions with broadcasting, fused with the reduction and the gradient. */
    PointwiseOps pointwise();

    /** Sums, scaling, copies. */
    ReduceOps reduce();

    /** softmax / log-softmax forward and backward, class picks (NLL), matmul. */
    SoftmaxOps softmax();

    /** Row-wise margin kernels and distances (multi-margin, multilabel-margin, cosine, p-norm distance). */
    MarginOps margin();

    /** Connectionist temporal classification: alpha/beta recursions in log space. */
    CtcOps ctc();

    /** Matrix products. */
    LinearOps linear();

    /** Says which implementation serves a named group ({@code pointwise}, {@code reduce}, ...). */
    default String servedBy(String group) {
        return group(group).servedBy();
    }

    /** Who serves a named group for tensors of {@code dtype}. */
    default String servedBy(String group, org.loss4j.DType dtype) {
        return group(group).servedBy(dtype);
    }

    /** The group called {@code name}. */
    default OpGroup group(String name) {
        return switch (name) {
            case "pointwise" -> pointwise();
            case "reduce" -> reduce();
            case "softmax" -> softmax();
            case "margin" -> margin();
            case "ctc" -> ctc();
            case "linear" -> linear();
            default -> throw new IllegalArgumentException("unknown op group '" + name + "'");
        };
    }
}

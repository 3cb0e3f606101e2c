package org.loss4j.internal.ops;

import org.loss4j.Tensor;

/** Dense linear algebra: the matrix products of AdaptiveLogSoftmaxWithLoss (and fused linear losses later). */
public interface LinearOps extends OpGroup {
}

package org.loss4j.bench;

/**
 * One implementation of one workload, ready to call: a loss4j backend or a peer (libtorch). Built once per JMH trial
 * on the benchmark thread (thread settings such as OpenMP's are per thread), called many times.
 */
public interface Impl extends AutoCloseable {

    /** The loss, into a buffer made at setup where the implementation allows it. */
    Object forward();

    /** Loss and the gradients of the workload's {@code grad} arguments. */
    Object forwardBackward();

    /**
     * For {@code check}: the loss (summed if not scalar), then for each argument with a gradient the sum of the
     * absolute values of that gradient, from one forward+backward call.
     */
    double[] probe();

    @Override
    void close();
}

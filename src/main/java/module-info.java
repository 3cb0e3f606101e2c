/**
 * loss4j: PyTorch's loss functions, forward and gradient, over {@link java.lang.foreign.MemorySegment} tensors.
 * Only {@code org.loss4j} (tensors, backends) and {@code org.loss4j.loss} (the losses) are API.
 */
module org.loss4j {
    requires info.picocli;
    /** Optional: the vector kernels load only when the module is added ({@code --add-modules jdk.incubator.vector}). */
    requires static jdk.incubator.vector;

    exports org.loss4j;
    exports org.loss4j.loss;

    opens org.loss4j.cli to info.picocli;
}

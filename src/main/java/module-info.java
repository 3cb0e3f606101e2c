/**
 * loss4j: PyTorch's loss functions, forward and gradient, over {@link java.lang.foreign.MemorySegment} tensors.
 * Only {@code org.loss4j} (tensors, backends) and {@code org.loss4j.loss} (the losses) are API.
 */
module org.loss4j {
    requires info.picocli;
    // `loss4j bench --chart` only (optional: the library never needs them)
    requires static java.desktop;
    requires static org.knowm.xchart;
    requires static jdk.incubator.vector; // optional: vector kernels when the module is added at run time

    exports org.loss4j;
    exports org.loss4j.loss;

    opens org.loss4j.cli to info.picocli;
}

package org.loss4j;

/**
 * Where a tensor's memory lives. The host never reads a CUDA tensor; copies between devices are explicit.
 *
 * @param type  CPU or CUDA
 * @param index the CUDA ordinal; 0 for the CPU
 */
public record Device(Type type, int index) {

    /** Kinds of device. */
    public enum Type { CPU, CUDA }

    /** The host. */
    public static final Device CPU = new Device(Type.CPU, 0);

    public Device {
        if (type == null) throw new IllegalArgumentException("device type must not be null");
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
        if (type == Type.CPU && index != 0) throw new IllegalArgumentException("the CPU device has index 0, got " + index);
    }

    /** CUDA device {@code i}. */
    public static Device cuda(int i) {
        return new Device(Type.CUDA, i);
    }

    public boolean isCpu() {
        return type == Type.CPU;
    }

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}

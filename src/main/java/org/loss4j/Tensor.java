package org.loss4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major, contiguous view over a {@link MemorySegment}: the segment, a {@link DType}, a shape and a
 * {@link Device}.
 *
 * <p>{@link #wrap(MemorySegment, DType, long...)} copies nothing: a loss reads the caller's bytes, so changing the
 * segment changes the result. The {@code of(...)} factories copy Java arrays into fresh memory for convenience.
 * Indexing is {@code long} throughout, so tensors above 2 GB work. Memory lifetime follows the segment's
 * {@link Arena}: using a tensor whose arena is closed throws {@link IllegalStateException}.
 *
 * <p>A tensor is immutable as a view (its shape and dtype never change); its contents are the caller's memory.
 */
public final class Tensor {

    private static final long[] SCALAR = new long[0];

    private final MemorySegment segment;
    private final DType dtype;
    private final long[] shape;
    private final Device device;
    private final long numel;

    private Tensor(MemorySegment segment, DType dtype, long[] shape, Device device, long numel) {
        this.segment = segment;
        this.dtype = dtype;
        this.shape = shape;
        this.device = device;
        this.numel = numel;
    }

    // ------------------------------------------------------------------ factories

    /**
     * Wraps caller memory without copying. The segment must be at least {@code numel * dtype.byteSize()} bytes;
     * the tensor views its first bytes.
     *
     * @throws IllegalArgumentException if a dimension is negative or the segment is too small
     * @throws IllegalStateException    if the segment's arena is closed
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        long n = numelOf(s);
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("cannot wrap a segment whose arena is already closed");
        }
        long need = byteSizeOf(s, n, dtype);
        if (segment.byteSize() < need) {
            throw new IllegalArgumentException("segment too small for a " + dtype + " tensor of shape " + Arrays.toString(s)
                    + ": needs " + need + " bytes, segment has " + segment.byteSize());
        }
        return new Tensor(segment.byteSize() == need ? segment : segment.asSlice(0, need), dtype, s, Device.CPU, n);
    }

    /**
     * Wraps caller memory given element strides. Only row-major contiguous strides are accepted: loss4j never
     * copies silently, so any other layout is rejected with a message that says what was expected.
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, long[] shape, long[] strides) {
        long[] s = checkShape(shape);
        Objects.requireNonNull(strides, "strides");
        if (strides.length != s.length) {
            throw new IllegalArgumentException("strides has " + strides.length + " entries but shape " + Arrays.toString(s)
                    + " has " + s.length + " dimensions");
        }
        long[] expect = contiguousStrides(s);
        for (int d = 0; d < s.length; d++) {
            if (s[d] > 1 && strides[d] != expect[d]) {
                throw new IllegalArgumentException("non-contiguous layout: strides " + Arrays.toString(strides) + " for shape "
                        + Arrays.toString(s) + "; loss4j needs row-major contiguous strides " + Arrays.toString(expect)
                        + " (make a contiguous copy first)");
            }
        }
        return wrap(segment, dtype, s);
    }

    /** A zero-filled tensor allocated in {@code arena}. */
    public static Tensor zeros(Arena arena, DType dtype, long... shape) {
        long[] s = checkShape(shape);
        long n = numelOf(s);
        long bytes = byteSizeOf(s, n, dtype);
        MemorySegment seg = arena.allocate(Math.max(1, bytes), Math.min(64, dtype.byteSize() * 16L));
        return new Tensor(seg.asSlice(0, bytes), dtype, s, Device.CPU, n);
    }

    /** A zero-filled tensor in GC-managed memory. */
    public static Tensor zeros(DType dtype, long... shape) {
        return zeros(Arena.ofAuto(), dtype, shape);
    }

    /** Copies {@code data} into a new F32 tensor of the given shape (a 1-D shape if none is given). */
    public static Tensor of(float[] data, long... shape) {
        Tensor t = zeros(DType.F32, shapeFor(data.length, shape));
        MemorySegment.copy(data, 0, t.segment, DType.F32.layout(), 0, data.length);
        return t;
    }

    /** Copies {@code data} into a new F64 tensor of the given shape (a 1-D shape if none is given). */
    public static Tensor of(double[] data, long... shape) {
        Tensor t = zeros(DType.F64, shapeFor(data.length, shape));
        MemorySegment.copy(data, 0, t.segment, DType.F64.layout(), 0, data.length);
        return t;
    }

    /** Copies {@code data} into a new I64 tensor of the given shape (a 1-D shape if none is given). */
    public static Tensor of(long[] data, long... shape) {
        Tensor t = zeros(DType.I64, shapeFor(data.length, shape));
        MemorySegment.copy(data, 0, t.segment, DType.I64.layout(), 0, data.length);
        return t;
    }

    /** Copies {@code data} into a new I32 tensor of the given shape (a 1-D shape if none is given). */
    public static Tensor of(int[] data, long... shape) {
        Tensor t = zeros(DType.I32, shapeFor(data.length, shape));
        MemorySegment.copy(data, 0, t.segment, DType.I32.layout(), 0, data.length);
        return t;
    }

    /** Copies {@code data} (given as doubles) into a new tensor of any dtype; integer dtypes truncate. */
    public static Tensor of(DType dtype, double[] data, long... shape) {
        Tensor t = zeros(dtype, shapeFor(data.length, shape));
        for (int i = 0; i < data.length; i++) t.setDouble(i, data[i]);
        return t;
    }

    /** A 0-dimensional tensor holding {@code value}. */
    public static Tensor scalar(DType dtype, double value) {
        Tensor t = zeros(dtype);
        t.setDouble(0, value);
        return t;
    }

    // ------------------------------------------------------------------ accessors

    /** The memory this tensor views (exactly {@code numel * dtype.byteSize()} bytes). */
    public MemorySegment segment() {
        return segment;
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (0 for a scalar). */
    public int dim() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative {@code d} counts from the end, as in PyTorch. */
    public long size(int d) {
        int k = d < 0 ? d + shape.length : d;
        if (k < 0 || k >= shape.length) {
            throw new IndexOutOfBoundsException("dimension " + d + " out of range for a tensor of " + shape.length + " dimensions");
        }
        return shape[k];
    }

    /** Number of elements. */
    public long numel() {
        return numel;
    }

    /** Size in bytes. */
    public long byteSize() {
        return numel * dtype.byteSize();
    }

    /** True while the memory is usable (its arena is open). */
    public boolean isAlive() {
        return segment.scope().isAlive();
    }

    /** Same memory, another shape with the same number of elements. */
    public Tensor reshape(long... newShape) {
        if (hasShape(newShape)) return this; // a no-op reshape allocates nothing (loss code reshapes on every call)
        long[] s = checkShape(newShape);
        if (numelOf(s) != numel) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " (" + numel + " elements) to "
                    + Arrays.toString(s));
        }
        return new Tensor(segment, dtype, s, device, numel);
    }

    private boolean hasShape(long[] s) {
        if (s == null || s.length != shape.length) return false;
        for (int d = 0; d < s.length; d++) {
            if (s[d] != shape[d]) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ element access (host only)

    /** Element {@code i} (flat, row-major) as a double. */
    public double getDouble(long i) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case I64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i);
        };
    }

    /** Element {@code i} as a long (integer dtypes exactly; floating dtypes truncated). */
    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i);
            default -> (long) getDouble(i);
        };
    }

    /** Writes element {@code i}, rounding to the dtype. */
    public void setDouble(long i, double v) {
        switch (dtype) {
            case F32 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
            case F64 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            case I64 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, (long) v);
            case I32 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
        }
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel != 1) throw new IllegalStateException("item() needs exactly one element, tensor has " + numel);
        return getDouble(0);
    }

    /** All elements as doubles (at most 2^31 - 1 of them). */
    public double[] toDoubleArray() {
        double[] a = new double[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = getDouble(i);
        return a;
    }

    /** All elements as floats (at most 2^31 - 1 of them). */
    public float[] toFloatArray() {
        float[] a = new float[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = (float) getDouble(i);
        return a;
    }

    /** All elements as longs (at most 2^31 - 1 of them). */
    public long[] toLongArray() {
        long[] a = new long[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = getLong(i);
        return a;
    }

    /** A copy of this tensor in GC-managed memory. */
    public Tensor copy() {
        Tensor t = zeros(dtype, shape);
        MemorySegment.copy(segment, 0, t.segment, 0, byteSize());
        return t;
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype.torchName() + ", " + Arrays.toString(shape) + ", " + device + "]";
    }

    // ------------------------------------------------------------------ helpers

    private static long[] shapeFor(int length, long[] shape) {
        if (shape == null || shape.length == 0) {
            return new long[] {length};
        }
        long[] s = checkShape(shape);
        if (numelOf(s) != length) {
            throw new IllegalArgumentException("data has " + length + " elements but shape " + Arrays.toString(s) + " needs " + numelOf(s));
        }
        return s;
    }

    private static long[] checkShape(long[] shape) {
        if (shape == null || shape.length == 0) return SCALAR;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative size at dimension " + i);
            }
        }
        return shape.clone();
    }

    private static long numelOf(long[] s) {
        for (long d : s) {
            if (d == 0) return 0;
        }
        long n = 1;
        for (long d : s) {
            if (n > Long.MAX_VALUE / d) {
                throw new IllegalArgumentException("shape " + Arrays.toString(s) + " has more than " + Long.MAX_VALUE + " elements");
            }
            n *= d;
        }
        return n;
    }

    private static long byteSizeOf(long[] s, long numel, DType dtype) {
        if (numel > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " needs more than " + Long.MAX_VALUE + " bytes as "
                    + dtype.torchName());
        }
        return numel * dtype.byteSize();
    }

    static long[] contiguousStrides(long[] s) {
        long[] st = new long[s.length];
        long acc = 1;
        for (int d = s.length - 1; d >= 0; d--) {
            st[d] = acc;
            acc *= Math.max(1, s[d]);
        }
        return st;
    }
}

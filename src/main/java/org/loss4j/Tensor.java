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
 *
 * <p><b>CUDA tensors.</b> A tensor on {@link Device#cuda(int)} holds a device address: {@link #zeros(CudaArena, DType,
 * long...)} allocates one in a {@link CudaArena} (freed exactly once, when the arena closes),
 * {@link #wrapDevice(long, DType, Device, long...)} wraps device memory someone else owns (zero-copy from other CUDA
 * code), and {@link #toHost()}, {@link #copyTo(Device)} and {@link #copyInto(Tensor)} copy between host and device,
 * only when asked. The host never reads device memory: {@link #segment()}, {@link #getDouble}, {@link #setDouble}
 * and the other element accessors of a CUDA tensor throw {@link IllegalStateException} naming its device.
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

    // ------------------------------------------------------------------ CUDA tensors

    /**
     * A zero-filled tensor in device memory of {@code arena}'s device, freed when the arena closes.
     *
     * @throws IllegalStateException if the CUDA backend cannot run here (the message gives the reason) or the arena
     *                               is closed
     */
    public static Tensor zeros(CudaArena arena, DType dtype, long... shape) {
        Objects.requireNonNull(arena, "arena");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        long n = numelOf(s);
        MemorySegment seg = arena.allocateZeroed(byteSizeOf(s, n, dtype));
        return new Tensor(seg, dtype, s, arena.device(), n);
    }

    /**
     * Wraps device memory that loss4j does not own (zero-copy from other CUDA code): {@code address} is a device
     * pointer on {@code device} of at least {@code numel * dtype.byteSize()} bytes, valid for as long as the tensor is
     * used. Nothing is read or checked on the device (no GPU is needed to wrap); loss4j never frees it.
     *
     * @throws IllegalArgumentException if {@code device} is not a CUDA device, the address is 0 for a non-empty
     *                                  shape, or a dimension is negative
     */
    public static Tensor wrapDevice(long address, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(device, "device");
        if (device.isCpu()) {
            throw new IllegalArgumentException("wrapDevice needs a CUDA device, got " + device + " (use Tensor.wrap for host memory)");
        }
        long[] s = checkShape(shape);
        long n = numelOf(s);
        long bytes = byteSizeOf(s, n, dtype);
        if (address == 0 && bytes > 0) {
            throw new IllegalArgumentException("wrapDevice: address is 0 (NULL) for a " + dtype.torchName() + " tensor of shape "
                    + Arrays.toString(s) + " on " + device);
        }
        // A view that the JVM never dereferences (every host accessor refuses device tensors); global scope: not owned.
        MemorySegment seg = MemorySegment.ofAddress(address).reinterpret(bytes);
        return new Tensor(seg, dtype, s, device, n);
    }

    /** Internal: a device tensor over {@code seg} (a never-dereferenced view whose scope is the memory's lifetime). */
    static Tensor device(MemorySegment seg, DType dtype, long[] shape, Device device) {
        return new Tensor(seg, dtype, shape, device, numelOf(shape));
    }

    /** True if this tensor's memory is on a CUDA device. */
    public boolean isCuda() {
        return !device.isCpu();
    }

    /**
     * The device address of a CUDA tensor (for passing to other CUDA code).
     *
     * @throws IllegalStateException for a host tensor, or if the arena that owns the memory is closed
     */
    public long deviceAddress() {
        if (device.isCpu()) throw new IllegalStateException("deviceAddress() of a host tensor " + this + ": use segment()");
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(this + " is no longer usable: the CudaArena that owns its memory is closed");
        }
        return segment.address();
    }

    /**
     * A copy of this tensor in host memory (GC-managed). A host tensor is copied too.
     *
     * @throws IllegalStateException if this is a CUDA tensor and the CUDA backend cannot run here (with the reason)
     */
    public Tensor toHost() {
        return toHost(Arena.ofAuto());
    }

    /** A copy of this tensor in host memory allocated in {@code arena}. */
    public Tensor toHost(Arena arena) {
        return copyInto(zeros(arena, dtype, shape));
    }

    /**
     * A copy of this tensor on {@code device}: to the host as {@link #toHost()}; to a CUDA device in device memory
     * that is freed when the returned tensor becomes unreachable (as {@link Arena#ofAuto()}). Use
     * {@link #copyTo(CudaArena)} to control the lifetime.
     */
    public Tensor copyTo(Device device) {
        Objects.requireNonNull(device, "device");
        return device.isCpu() ? toHost() : copyInto(Tensor.zerosAuto(device, dtype, shape));
    }

    /** A copy of this tensor in device memory of {@code arena}. */
    public Tensor copyTo(CudaArena arena) {
        return copyInto(zeros(arena, dtype, shape));
    }

    /**
     * Copies this tensor's contents into {@code dst} (host or device, either direction; same dtype and number of
     * elements). Returns {@code dst}.
     */
    public Tensor copyInto(Tensor dst) {
        Objects.requireNonNull(dst, "dst");
        dst.copyFrom(this);
        return dst;
    }

    /**
     * A zero-filled tensor on {@code device}: host memory as {@link #zeros(DType, long...)}, or device memory freed
     * once the tensor is unreachable (use {@link #zeros(CudaArena, DType, long...)} to control the lifetime).
     */
    public static Tensor zeros(Device device, DType dtype, long... shape) {
        Objects.requireNonNull(device, "device");
        return device.isCpu() ? zeros(dtype, shape) : zerosAuto(device, dtype, shape);
    }

    /** A zero-filled CUDA tensor freed by the garbage collector. */
    static Tensor zerosAuto(Device device, DType dtype, long... shape) {
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        long n = numelOf(s);
        MemorySegment seg = org.loss4j.internal.cuda.CudaMemory.allocateAuto(device, byteSizeOf(s, n, dtype));
        return new Tensor(seg, dtype, s, device, n);
    }

    private void copyFrom(Tensor src) {
        if (src.dtype != dtype || src.numel != numel) {
            throw new IllegalArgumentException("copy needs the same dtype and number of elements: source " + src + ", destination " + this);
        }
        src.checkAlive("source");
        checkAlive("destination");
        long bytes = byteSize();
        if (bytes == 0) return;
        if (device.isCpu() && src.device.isCpu()) {
            MemorySegment.copy(src.segment, 0, segment, 0, bytes);
        } else {
            org.loss4j.internal.cuda.CudaMemory.copy(src.segment, src.device, segment, device, bytes);
        }
    }

    private void checkAlive(String role) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("copy " + role + " " + this + " is no longer usable: the arena that owns its memory is closed");
        }
    }

    private IllegalStateException onDevice(String what) {
        return new IllegalStateException(what + " of " + this + ": its memory is on " + device
                + " and the host never reads device memory; copy it first with toHost() or copyTo(Device.CPU)");
    }

    // ------------------------------------------------------------------ accessors

    /**
     * The memory this tensor views (exactly {@code numel * dtype.byteSize()} bytes).
     *
     * @throws IllegalStateException for a CUDA tensor (see {@link #deviceAddress()})
     */
    public MemorySegment segment() {
        if (!device.isCpu()) throw onDevice("segment()");
        return segment;
    }

    /** Internal: the segment of a host or device tensor (a device one must never be dereferenced). */
    MemorySegment rawSegment() {
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
        if (!device.isCpu()) throw onDevice("getDouble");
        return switch (dtype) {
            case F32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case I64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i);
            case BF16 -> DType.bf16ToFloat(segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i));
        };
    }

    /** Element {@code i} as a long (integer dtypes exactly; floating dtypes truncated). */
    public long getLong(long i) {
        if (!device.isCpu()) throw onDevice("getLong");
        return switch (dtype) {
            case I64 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i);
            default -> (long) getDouble(i);
        };
    }

    /** Writes element {@code i}, rounding to the dtype. */
    public void setDouble(long i, double v) {
        if (!device.isCpu()) throw onDevice("setDouble");
        switch (dtype) {
            case F32 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
            case F64 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            case I64 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, (long) v);
            case I32 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
            case BF16 -> segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, DType.floatToBf16((float) v));
        }
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (!device.isCpu()) throw onDevice("item()");
        if (numel != 1) throw new IllegalStateException("item() needs exactly one element, tensor has " + numel);
        return getDouble(0);
    }

    /** All elements as doubles (at most 2^31 - 1 of them). */
    public double[] toDoubleArray() {
        if (!device.isCpu()) throw onDevice("toDoubleArray()");
        double[] a = new double[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = getDouble(i);
        return a;
    }

    /** All elements as floats (at most 2^31 - 1 of them). */
    public float[] toFloatArray() {
        if (!device.isCpu()) throw onDevice("toFloatArray()");
        float[] a = new float[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = (float) getDouble(i);
        return a;
    }

    /** All elements as longs (at most 2^31 - 1 of them). */
    public long[] toLongArray() {
        if (!device.isCpu()) throw onDevice("toLongArray()");
        long[] a = new long[Math.toIntExact(numel)];
        for (int i = 0; i < a.length; i++) a[i] = getLong(i);
        return a;
    }

    /** A copy of this tensor in GC-managed memory on the same device. */
    public Tensor copy() {
        if (!device.isCpu()) return copyTo(device);
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

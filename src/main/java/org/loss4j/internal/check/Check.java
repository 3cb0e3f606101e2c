package org.loss4j.internal.check;

import java.util.Arrays;
import org.loss4j.DType;
import org.loss4j.Tensor;

/**
 * Argument checks with messages that name the argument and show the values, in PyTorch's wording where it has one.
 * Every check runs in Java before any kernel or native call.
 */
public final class Check {

    private Check() {}

    /**
     * The device whose tensors {@link #present} accepts on this thread: the CPU, except while a loss computes over
     * CUDA tensors on the CUDA backend ({@link #computeOn}). Every tensor's device is checked against the backend's
     * before a loss computes; this keeps device tensors out of host-only code paths.
     */
    private static final ThreadLocal<org.loss4j.Device> DEVICE = ThreadLocal.withInitial(() -> org.loss4j.Device.CPU);

    /** Sets the device {@link #present} accepts on this thread; returns the previous one (to restore). */
    public static org.loss4j.Device computeOn(org.loss4j.Device device) {
        org.loss4j.Device prev = DEVICE.get();
        DEVICE.set(device);
        return prev;
    }

    /** Shape as PyTorch prints it: {@code [2, 3]}. */
    public static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    /** Non-null, alive, accessible from this thread, on the host. */
    public static Tensor present(String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(name + " must not be null");
        if (t.isCuda() && !t.device().equals(DEVICE.get())) {
            throw new IllegalArgumentException(name + " is on " + t.device() + " but this backend computes on "
                    + DEVICE.get() + "; copy it with toHost() or run the loss on the CUDA backend");
        }
        if (!t.isAlive()) {
            throw new IllegalStateException(name + " " + t + " is no longer usable: the arena that owns its memory is closed");
        }
        if (t.isCuda()) return t; // device memory: never touched by the host
        if (!t.segment().isAccessibleBy(Thread.currentThread())) {
            // checked up front: an empty tensor is never read, so the JDK's WrongThreadException would not always come
            throw new IllegalStateException(name + " " + t + " is confined to another thread (its arena is a confined arena"
                    + " owned by another thread); use a shared or automatic arena for tensors used across threads");
        }
        return t;
    }

    /** A present F32 or F64 tensor. */
    public static Tensor floating(String name, Tensor t) {
        present(name, t);
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException(name + " must be float32 or float64, got " + t.dtype().torchName());
        }
        return t;
    }

    /** A present I64 or I32 tensor. */
    public static Tensor integral(String name, Tensor t) {
        present(name, t);
        if (t.dtype().isFloating()) {
            throw new IllegalArgumentException(name + " must be int64 (or int32), got " + t.dtype().torchName());
        }
        return t;
    }

    /** Same dtype as the reference argument. */
    public static void sameDtype(String refName, Tensor ref, String name, Tensor t) {
        if (t.dtype() != ref.dtype()) {
            throw new IllegalArgumentException("expected " + name + " to have dtype " + ref.dtype().torchName() + " like "
                    + refName + ", got " + t.dtype().torchName());
        }
    }

    /** Identical shapes. */
    public static void sameShape(String nameA, Tensor a, String nameB, Tensor b) {
        if (!sameShape(a, b)) {
            throw new IllegalArgumentException(nameA + " and " + nameB + " must have the same shape, got " + nameA + " "
                    + shape(a) + " and " + nameB + " " + shape(b));
        }
    }

    /** Number of dimensions within [min, max]. */
    public static void dims(String name, Tensor t, int min, int max) {
        if (t.dim() < min || t.dim() > max) {
            String want = min == max ? String.valueOf(min) : min + " to " + max;
            throw new IllegalArgumentException(name + " must have " + want + " dimensions, got " + t.dim() + " (shape " + shape(t) + ")");
        }
    }

    /** NumPy broadcast of two shapes, or an exception naming both. */
    public static long[] broadcast(String nameA, long[] a, String nameB, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.length ? 1 : a[i - (r - a.length)];
            long db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("the size of " + nameA + " " + Arrays.toString(a) + " must match the size of "
                        + nameB + " " + Arrays.toString(b) + " at non-singleton dimension " + i + " (" + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** A finite value >= 0. */
    public static double nonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite value >= 0, got " + v);
        }
        return v;
    }

    /** A value in [lo, hi]. */
    public static double inRange(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
        }
        return v;
    }

    /** A class index within [0, classes), unless it equals {@code ignoreIndex}. */
    public static void classIndex(String name, long index, long flatPosition, long classes) {
        if (index < 0 || index >= classes) {
            throw new IndexOutOfBoundsException(name + " value " + index + " at position " + flatPosition
                    + " is out of bounds for " + classes + " classes (valid: 0 to " + (classes - 1) + ")");
        }
    }

    /** An output or gradient tensor supplied by the caller: present, of the expected dtype and shape. */
    public static void output(String name, Tensor t, DType dtype, long[] shape) {
        present(name, t);
        if (t.dtype() != dtype || !hasShape(t, shape)) {
            throw new IllegalArgumentException(name + " must be " + dtype.torchName() + " of shape " + Arrays.toString(shape)
                    + ", got " + t.dtype().torchName() + " of shape " + shape(t));
        }
    }

    /** True if {@code a} and {@code b} have the same shape (compared in place: no copies). */
    public static boolean sameShape(Tensor a, Tensor b) {
        if (a.dim() != b.dim()) return false;
        for (int d = 0; d < a.dim(); d++) {
            if (a.size(d) != b.size(d)) return false;
        }
        return true;
    }

    /** True if {@code t} has exactly {@code shape} (compared in place: no copies). */
    public static boolean hasShape(Tensor t, long[] shape) {
        if (t.dim() != shape.length) return false;
        for (int d = 0; d < shape.length; d++) {
            if (t.size(d) != shape[d]) return false;
        }
        return true;
    }
}

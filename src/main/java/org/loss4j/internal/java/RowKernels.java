package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Contiguous row passes of the fused softmax kernels, over raw float32 or float64 memory (offsets in elements).
 * Two implementations: {@link Scalar} (always there) and {@code VectorRowKernels} ({@code jdk.incubator.vector}),
 * chosen once at start-up by {@link #get()}. Sums are accumulated in double.
 */
interface RowKernels {

    /** The largest of {@code n >= 1} values; NaN if any is NaN. */
    double maxF32(MemorySegment x, long off, int n);

    double maxF64(MemorySegment x, long off, int n);

    /** {@code sum_k exp(x[k] - m)}; when {@code e} is not null, also stores each {@code exp(x[k] - m)} there. */
    double expSumF32(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff);

    double expSumF64(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff);

    /** {@code e[k] = e[k] * f + a} in place. */
    void scaleAddF32(MemorySegment e, long off, int n, double f, double a);

    void scaleAddF64(MemorySegment e, long off, int n, double f, double a);

    /** {@code sum_k (x[k] - m)}. */
    double shiftedSumF32(MemorySegment x, long off, int n, double m);

    double shiftedSumF64(MemorySegment x, long off, int n, double m);

    static RowKernels get() {
        return Holder.VECTOR;
    }

    static RowKernels scalar() {
        return Scalar.INSTANCE;
    }

    /** The kernels' name for diagnostics: "vector (N-bit)" or "scalar". */
    static String describe() {
        return Holder.VECTOR == Scalar.INSTANCE ? "scalar" : Holder.VECTOR.toString();
    }

    final class Holder {
        static final RowKernels VECTOR = load();

        private Holder() {}

        private static RowKernels load() {
            if (Boolean.getBoolean("loss4j.noVector")) return Scalar.INSTANCE;
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return Scalar.INSTANCE;
            try {
                return (RowKernels) Class.forName("org.loss4j.internal.java.VectorRowKernels")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return Scalar.INSTANCE;
            }
        }
    }

    final class Scalar implements RowKernels {
        static final Scalar INSTANCE = new Scalar();

        private Scalar() {}

        @Override
        public double maxF32(MemorySegment x, long off, int n) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) {
                double v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, off + k);
                if (v > m || v != v) m = v;
                if (m != m) return m;
            }
            return m;
        }

        @Override
        public double maxF64(MemorySegment x, long off, int n) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) {
                double v = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, off + k);
                if (v > m || v != v) m = v;
                if (m != m) return m;
            }
            return m;
        }

        @Override
        public double expSumF32(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff) {
            double s = 0;
            if (e == null) {
                for (int k = 0; k < n; k++) s += Math.exp(x.getAtIndex(JAVA_FLOAT_UNALIGNED, off + k) - m);
            } else {
                for (int k = 0; k < n; k++) {
                    double v = Math.exp(x.getAtIndex(JAVA_FLOAT_UNALIGNED, off + k) - m);
                    e.setAtIndex(JAVA_FLOAT_UNALIGNED, eoff + k, (float) v);
                    s += v;
                }
            }
            return s;
        }

        @Override
        public double expSumF64(MemorySegment x, long off, int n, double m, MemorySegment e, long eoff) {
            double s = 0;
            if (e == null) {
                for (int k = 0; k < n; k++) s += Math.exp(x.getAtIndex(JAVA_DOUBLE_UNALIGNED, off + k) - m);
            } else {
                for (int k = 0; k < n; k++) {
                    double v = Math.exp(x.getAtIndex(JAVA_DOUBLE_UNALIGNED, off + k) - m);
                    e.setAtIndex(JAVA_DOUBLE_UNALIGNED, eoff + k, v);
                    s += v;
                }
            }
            return s;
        }

        @Override
        public void scaleAddF32(MemorySegment e, long off, int n, double f, double a) {
            for (int k = 0; k < n; k++) {
                long at = off + k;
                e.setAtIndex(JAVA_FLOAT_UNALIGNED, at, (float) (e.getAtIndex(JAVA_FLOAT_UNALIGNED, at) * f + a));
            }
        }

        @Override
        public void scaleAddF64(MemorySegment e, long off, int n, double f, double a) {
            for (int k = 0; k < n; k++) {
                long at = off + k;
                e.setAtIndex(JAVA_DOUBLE_UNALIGNED, at, e.getAtIndex(JAVA_DOUBLE_UNALIGNED, at) * f + a);
            }
        }

        @Override
        public double shiftedSumF32(MemorySegment x, long off, int n, double m) {
            double s = 0;
            for (int k = 0; k < n; k++) s += x.getAtIndex(JAVA_FLOAT_UNALIGNED, off + k) - m;
            return s;
        }

        @Override
        public double shiftedSumF64(MemorySegment x, long off, int n, double m) {
            double s = 0;
            for (int k = 0; k < n; k++) s += x.getAtIndex(JAVA_DOUBLE_UNALIGNED, off + k) - m;
            return s;
        }

        @Override
        public String toString() {
            return "scalar";
        }
    }
}

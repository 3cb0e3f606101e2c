package org.loss4j.internal.java;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.LinearOps;

/**
 * Pure-Java matrix products: dot products accumulate in double and round once into the output's dtype. Blocks of
 * rows are converted to double once and reused across the other operand, so each element is read from memory a
 * few times rather than once per multiply.
 */
final class JavaLinearOps implements LinearOps {

    /** Doubles in one block of converted rows (256 KiB): small enough for L2, large enough to amortise the loads. */
    private static final int BLOCK_DOUBLES = 1 << 15;
    private static final int MAX_BLOCK_ROWS = 64;

    @Override
    public String servedBy() {
        return "java";
    }

    @Override
    public void linear(Tensor a, Tensor b, Tensor bias, long m, long k, long n, Tensor out) {
        int kk = Math.toIntExact(k);
        int rowsPerBlock = blockRows(kk);
        double[] aBlock = new double[rowsPerBlock * kk];
        double[] bRow = new double[kk];
        for (long i0 = 0; i0 < m; i0 += rowsPerBlock) {
            int rows = (int) Math.min(rowsPerBlock, m - i0);
            for (int i = 0; i < rows; i++) read(a, (i0 + i) * k, aBlock, i * kk, kk);
            for (long j = 0; j < n; j++) {
                read(b, j * k, bRow, 0, kk);
                double beta = bias == null ? 0 : bias.getDouble(j);
                for (int i = 0; i < rows; i++) {
                    double s = 0;
                    int base = i * kk;
                    for (int p = 0; p < kk; p++) s += aBlock[base + p] * bRow[p];
                    out.setDouble((i0 + i) * n + j, s + beta);
                }
            }
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, long m, long k, long n, Tensor out) {
        int nn = Math.toIntExact(n);
        int rowsPerBlock = blockRows(nn);
        double[] acc = new double[rowsPerBlock * nn];
        double[] bRow = new double[nn];
        for (long i0 = 0; i0 < m; i0 += rowsPerBlock) {
            int rows = (int) Math.min(rowsPerBlock, m - i0);
            java.util.Arrays.fill(acc, 0, rows * nn, 0.0);
            for (long p = 0; p < k; p++) {
                read(b, p * n, bRow, 0, nn);
                for (int i = 0; i < rows; i++) {
                    double aip = a.getDouble((i0 + i) * k + p);
                    int base = i * nn;
                    for (int j = 0; j < nn; j++) acc[base + j] += aip * bRow[j];
                }
            }
            for (int i = 0; i < rows; i++) write(out, (i0 + i) * n, acc, i * nn, nn);
        }
    }

    @Override
    public void matmulTransposeA(Tensor a, Tensor b, long k, long m, long n, Tensor out) {
        int nn = Math.toIntExact(n);
        int rowsPerBlock = blockRows(nn);
        double[] acc = new double[rowsPerBlock * nn];
        double[] bRow = new double[nn];
        for (long i0 = 0; i0 < m; i0 += rowsPerBlock) {
            int rows = (int) Math.min(rowsPerBlock, m - i0);
            java.util.Arrays.fill(acc, 0, rows * nn, 0.0);
            for (long p = 0; p < k; p++) {
                read(b, p * n, bRow, 0, nn);
                for (int i = 0; i < rows; i++) {
                    double api = a.getDouble(p * m + i0 + i);
                    int base = i * nn;
                    for (int j = 0; j < nn; j++) acc[base + j] += api * bRow[j];
                }
            }
            for (int i = 0; i < rows; i++) write(out, (i0 + i) * n, acc, i * nn, nn);
        }
    }

    @Override
    public void gatherRows(Tensor src, Tensor rows, long r, long cols, Tensor out) {
        long rowBytes = cols * src.dtype().byteSize();
        for (long i = 0; i < r; i++) {
            long row = rows.segment().getAtIndex(JAVA_LONG_UNALIGNED, i);
            MemorySegment.copy(src.segment(), row * rowBytes, out.segment(), i * rowBytes, rowBytes);
        }
    }

    @Override
    public void scatterAddRows(Tensor src, Tensor rows, long r, long cols, Tensor dst) {
        for (long i = 0; i < r; i++) {
            long row = rows.segment().getAtIndex(JAVA_LONG_UNALIGNED, i);
            for (long c = 0; c < cols; c++) {
                long at = row * cols + c;
                dst.setDouble(at, dst.getDouble(at) + src.getDouble(i * cols + c));
            }
        }
    }

    /** Rows of {@code width} doubles per block (at least 1). */
    private static int blockRows(int width) {
        return Math.max(1, Math.min(MAX_BLOCK_ROWS, BLOCK_DOUBLES / Math.max(1, width)));
    }

    /** {@code dst[off, off + len) = t[start, start + len)} as doubles. */
    private static void read(Tensor t, long start, double[] dst, int off, int len) {
        MemorySegment s = t.segment();
        if (t.dtype() == DType.F32) {
            for (int i = 0; i < len; i++) dst[off + i] = s.getAtIndex(JAVA_FLOAT_UNALIGNED, start + i);
        } else {
            for (int i = 0; i < len; i++) dst[off + i] = s.getAtIndex(JAVA_DOUBLE_UNALIGNED, start + i);
        }
    }

    /** {@code t[start, start + len) = src[off, off + len)}, rounded to the tensor's dtype. */
    private static void write(Tensor t, long start, double[] src, int off, int len) {
        MemorySegment s = t.segment();
        if (t.dtype() == DType.F32) {
            for (int i = 0; i < len; i++) s.setAtIndex(JAVA_FLOAT_UNALIGNED, start + i, (float) src[off + i]);
        } else {
            for (int i = 0; i < len; i++) s.setAtIndex(JAVA_DOUBLE_UNALIGNED, start + i, src[off + i]);
        }
    }
}

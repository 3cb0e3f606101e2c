package org.loss4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.ReduceOps;

/**
 * Reductions through oneDNN's reduction, eltwise and binary primitives (float32, native memory); else Java.
 *
 * <p>Accuracy of the sums: oneDNN accumulates float32 in float32, which over a million elements drifts well past
 * loss4j's float32 tolerance (and past PyTorch, whose cascade sum stays near a few ulp). So one oneDNN sum never
 * covers more than a block ({@link #ROW_BLOCK} contiguous elements, {@link #COLUMN_BLOCK} rows of a column): longer
 * sums are cut into blocks, oneDNN writes one float32 partial sum per block, and Java adds the partials in double. A
 * sum of at most one block runs as one primitive, with {@code sumDim}'s scale fused as an eltwise linear post-op.
 */
final class OneDnnReduceOps implements ReduceOps {

    /**
     * Most contiguous elements one oneDNN float32 sum (the jit reduction, 16 lanes and more in parallel) accumulates.
     * Measured against the double sum, uniform [0, 1) data: one reduction over everything is off by 3e-7 (relative)
     * at 1000003 elements and 4.8e-6 at 1.6e7 (PyTorch's cascade sum: 5e-9 and 2.7e-8); blocks of 1024 give 4e-10
     * and 3e-10.
     */
    static final long ROW_BLOCK = 1024;

    /**
     * Most rows one oneDNN column sum (a matmul, one sequential float32 accumulator per column) adds. Blocks of 1024
     * rows were off by up to 5.7e-7 (relative, uniform [0, 1) data), four times PyTorch's 1.4e-7..1.6e-7; blocks of
     * 128 stay at PyTorch's level.
     */
    static final long COLUMN_BLOCK = 128;

    private final ReduceOps java;

    OneDnnReduceOps(ReduceOps java) {
        this.java = java;
    }

    @Override
    public String servedBy() {
        return "onednn (sum, sumDim: float32 partial sums over blocks, finished in double; contiguous rows by the"
                + " reduction primitive (blocks of " + ROW_BLOCK + "), columns by a ones-row matmul (blocks of " + COLUMN_BLOCK
                + "; oneDNN's column reduction is only its slow reference kernel); sumDim's scale fused as an eltwise linear"
                + " post-op; sumDim over fewer than 8 columns: java, measured faster; scale: eltwise linear; mul: binary mul;"
                + " fill, copy: java memset/memcpy)";
    }

    /**
     * Whether a double factor keeps its value as oneDNN's float32 {@code alpha}: a factor beyond float32's normal
     * range (say 1e39, or 1e-40) would turn into inf or lose digits where Java's double product still rounds right.
     */
    private static boolean fitsFloat(double v) {
        double a = Math.abs(v);
        return Double.isNaN(v) || Double.isInfinite(v) || v == 0 || (a <= Float.MAX_VALUE && a >= Float.MIN_NORMAL);
    }

    private static boolean eligible(Tensor... ts) {
        if (!OneDnnBackend.worthNative(ts[0].numel())) return false;
        for (Tensor t : ts) {
            if (t.dtype() != DType.F32 || !t.segment().isNative()) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ sums

    @Override
    public double sum(Tensor x) {
        long n = x.numel();
        if (!eligible(x) || n == 0) return java.sum(x);
        MemorySegment partials = blockSums(x.segment(), 1, n, 1, ROW_BLOCK, false);
        double s = finish(partials, 1, n, 1, ROW_BLOCK, false, 0, 0);
        // a float32 block sum can overflow where the double sum of the same values does not: Java decides then
        return Double.isFinite(s) ? s : java.sum(x);
    }

    @Override
    public void sumDim(Tensor x, long outer, long n, long inner, double scale, Tensor out) {
        if (!eligible(x, out) || outer == 0 || n == 0 || inner == 0) {
            java.sumDim(x, outer, n, inner, scale, out);
            return;
        }
        if ((inner > 1 && !columnSumsPay(inner)) || !fitsFloat(scale)) {
            java.sumDim(x, outer, n, inner, scale, out);
            return;
        }
        if (n == 1) { // nothing to add: out = scale * x
            scale(x, scale, out);
            return;
        }
        boolean transposed = transposedRows(outer, n, inner);
        long block = inner == 1 && !transposed ? ROW_BLOCK : COLUMN_BLOCK;
        if (n <= block) { // one float32 sum per output, scale fused
            blockSum(ExecutionContext.current(), outer, 1, n, inner, n, (float) scale, x.segment(), out.segment());
            if (!allFinite(out)) java.sumDim(x, outer, n, inner, scale, out); // float32 overflow: see allFinite
            return;
        }
        MemorySegment partials = blockSums(x.segment(), outer, n, inner, block, transposed);
        MemorySegment o = out.segment();
        for (long a = 0; a < outer; a++) {
            for (long i = 0; i < inner; i++) {
                o.setAtIndex(JAVA_FLOAT, a * inner + i, (float) (scale * finish(partials, outer, n, inner, block, transposed, a, i)));
            }
        }
        if (!allFinite(out)) java.sumDim(x, outer, n, inner, scale, out);
    }

    /**
     * Whether summing rows of {@code inner} columns as a ones-row matmul beats the Java loop. Measured on AVX-512
     * (one thread, about 1e6 elements, a shared 2-core machine, so only the trend is firm): for 2 and 4 columns the
     * matmul was 1.2 to 4 times slower (its vectors are {@code inner} floats wide), for 8 columns 1 to 2.5 times
     * faster, for 16 and more 3 to 30 times faster.
     */
    static boolean columnSumsPay(long inner) {
        return inner >= 8;
    }

    /**
     * Whether the row sums of {@code [outer, n]} ({@code inner == 1}) run as column sums of its transposed view. The
     * jit reduction needs dense memory, and blocks of {@link #ROW_BLOCK} of rows whose length is no multiple of it
     * are not (the strided case falls to oneDNN's reference kernel, measured 12 times slower than Java). So: a
     * ones-row matmul over the transposed view when there are enough rows for its vectors ({@link #columnSumsPay}),
     * else one dense reduction per row.
     */
    private static boolean transposedRows(long outer, long n, long inner) {
        return inner == 1 && outer > 1 && n > ROW_BLOCK && n % ROW_BLOCK != 0 && columnSumsPay(outer);
    }

    /**
     * Views {@code x} as {@code [outer, n, inner]} and writes, into this thread's scratch, the float32 sums of each
     * block of {@code block} consecutive {@code n}-indices ({@code [outer, n / block, inner]}, or {@code [n / block,
     * outer]} if {@code transposed}), then those of the {@code n % block} left over ({@code [outer, inner]}), then,
     * if needed, a contiguous copy of those left-over rows. The tail is copied rather than described at an offset
     * inside {@code x} because oneDNN sizes a strided descriptor as {@code outer * stride}, more than the memory left
     * after the offset.
     */
    private static MemorySegment blockSums(MemorySegment x, long outer, long n, long inner, long block, boolean transposed) {
        long full = n / block;
        long tail = n % block;
        long fullBytes = outer * full * inner * Float.BYTES;
        long tailBytes = tail == 0 ? 0 : outer * inner * Float.BYTES;
        boolean gather = tail > 1 && outer > 1;
        long rowBytes = tail * inner * Float.BYTES;
        MemorySegment scratch = Scratch.get(fullBytes + tailBytes + (gather ? outer * rowBytes : 0));
        ExecutionContext ctx = ExecutionContext.current();
        if (full > 0) {
            if (transposed) {
                ctx.run(transposedRowSums(outer, full, block, n), Ones.SEGMENT, x, scratch);
            } else if (inner == 1 && outer > 1 && full * block != n) { // one dense reduction per row
                long rowSpan = full * block;
                for (long a = 0; a < outer; a++) {
                    blockSum(ctx, 1, full, block, 1, rowSpan, 1f, x.asSlice(a * n * Float.BYTES, rowSpan * Float.BYTES),
                            scratch.asSlice(a * full * Float.BYTES, full * Float.BYTES));
                }
            } else {
                blockSum(ctx, outer, full, block, inner, n, 1f, x, scratch);
            }
        }
        if (tail == 0) return scratch;
        MemorySegment tailSums = scratch.asSlice(fullBytes, tailBytes);
        long tailStart = full * block * inner * Float.BYTES;
        if (tail == 1) { // a one-element block is the element itself
            for (long a = 0; a < outer; a++) {
                MemorySegment.copy(x, a * n * inner * Float.BYTES + tailStart, tailSums, a * inner * Float.BYTES, rowBytes);
            }
            return scratch;
        }
        MemorySegment src;
        if (gather) {
            src = scratch.asSlice(fullBytes + tailBytes, outer * rowBytes);
            for (long a = 0; a < outer; a++) MemorySegment.copy(x, a * n * inner * Float.BYTES + tailStart, src, a * rowBytes, rowBytes);
        } else {
            src = x.asSlice(tailStart);
        }
        blockSum(ctx, outer, 1, tail, inner, tail, 1f, src, tailSums);
        return scratch;
    }

    /** The double sum of output {@code (a, i)}'s float32 block sums written by {@link #blockSums}. */
    private static double finish(MemorySegment partials, long outer, long n, long inner, long block, boolean transposed,
                                 long a, long i) {
        long full = n / block;
        long base = transposed ? a : a * full * inner + i;
        long step = transposed ? outer : inner;
        double s = 0;
        for (long j = 0; j < full; j++) s += partials.getAtIndex(JAVA_FLOAT, base + j * step);
        if (n % block != 0) s += partials.getAtIndex(JAVA_FLOAT, outer * full * inner + a * inner + i);
        return s;
    }

    /**
     * {@code dst [outer, blocks, inner] = scale * (sums over the middle axis of src [outer, blocks, block, inner])},
     * dst contiguous, src rows ({@code outer} steps) {@code srcRow * inner} elements apart so that a view can cover
     * the full blocks of a longer axis.
     *
     * <p>With {@code inner == 1} the sums are over contiguous memory: oneDNN's jit reduction primitive. Otherwise
     * they run down columns, where oneDNN has only its reference reduction (measured 10 to 40 times slower than the
     * Java loop); there a matmul does the same sums at full speed: {@code ones (1, block) @ src (block, inner)} per
     * block, batched.
     */
    private static void blockSum(ExecutionContext ctx, long outer, long blocks, long block, long inner, long srcRow,
                                 float scale, MemorySegment src, MemorySegment dst) {
        if (inner == 1) ctx.run(reduction(outer, blocks, block, srcRow, scale), src, dst);
        else ctx.run(columnSums(outer, blocks, block, inner, srcRow, scale), Ones.SEGMENT, src, dst);
    }

    /** The reduction primitive {@code [outer, blocks, block] -> [outer, blocks, 1]}, unit dims left out. */
    private static OnePrimitive reduction(long outer, long blocks, long block, long srcRow, float scale) {
        OnePrimitive.Key key = new OnePrimitive.Key("reduction_sum",
                List.of(dnnl_f32(), outer, blocks, block, srcRow, Float.floatToIntBits(scale)), DNNL_ARG_SRC(), DNNL_ARG_DST());
        return OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            long[][] d = withoutUnitBatch(new long[] {outer, blocks}, new long[] {srcRow, block}, new long[] {blocks, 1});
            MemorySegment src = strided(arena, concat(d[0], block), concat(d[1], 1));
            MemorySegment dst = strided(arena, concat(d[0], 1), concat(d[2], 1));
            try {
                if (scale != 1f) setScale(arena, attr, scale);
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_reduction_primitive_desc_create", dnnl_reduction_primitive_desc_create(
                        ptr, engine, dnnl_reduction_sum(), src, dst, 0f, 0f, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(src);
                dnnl_memory_desc_destroy(dst);
            }
        });
    }

    /**
     * The matmul {@code ones (1, block) @ src [outer, blocks](block, inner) -> dst [outer, blocks](1, inner)}: the
     * ones row is broadcast over the batch dims, unit batch dims are left out.
     */
    private static OnePrimitive columnSums(long outer, long blocks, long block, long inner, long srcRow, float scale) {
        OnePrimitive.Key key = new OnePrimitive.Key("matmul_column_sums",
                List.of(dnnl_f32(), outer, blocks, block, inner, srcRow, Float.floatToIntBits(scale)),
                DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST());
        return OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            long[][] d = withoutUnitBatch(new long[] {outer, blocks}, new long[] {srcRow * inner, block * inner},
                    new long[] {blocks * inner, inner});
            long[] unit = new long[d[0].length];
            Arrays.fill(unit, 1);
            long[] onesStrides = new long[d[0].length];
            Arrays.fill(onesStrides, block);
            MemorySegment ones = strided(arena, concat(unit, 1, block), concat(onesStrides, block, 1));
            MemorySegment src = strided(arena, concat(d[0], block, inner), concat(d[1], inner, 1));
            MemorySegment dst = strided(arena, concat(d[0], 1, inner), concat(d[2], inner, 1));
            try {
                if (scale != 1f) setScale(arena, attr, scale);
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_matmul_primitive_desc_create", dnnl_matmul_primitive_desc_create(
                        ptr, engine, ones, src, MemorySegment.NULL, dst, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(ones);
                dnnl_memory_desc_destroy(src);
                dnnl_memory_desc_destroy(dst);
            }
        });
    }

    /**
     * The matmul {@code ones (1, block) @ x[blocks](block, outer) -> dst [blocks](1, outer)} over the transposed view
     * of a row-major {@code [outer, n]} (element {@code (k, a)} of block {@code j} at {@code a * n + j * block + k}).
     */
    private static OnePrimitive transposedRowSums(long outer, long blocks, long block, long n) {
        OnePrimitive.Key key = new OnePrimitive.Key("matmul_transposed_row_sums", List.of(dnnl_f32(), outer, blocks, block, n),
                DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST());
        return OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment ones = strided(arena, new long[] {1, 1, block}, new long[] {block, block, 1});
            MemorySegment src = strided(arena, new long[] {blocks, block, outer}, new long[] {block, 1, n});
            MemorySegment dst = strided(arena, new long[] {blocks, 1, outer}, new long[] {outer, outer, 1});
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_matmul_primitive_desc_create", dnnl_matmul_primitive_desc_create(
                        ptr, engine, ones, src, MemorySegment.NULL, dst, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(ones);
                dnnl_memory_desc_destroy(src);
                dnnl_memory_desc_destroy(dst);
            }
        });
    }

    /** The batch dims (and the matching strides of each layout) other than those of size 1. */
    private static long[][] withoutUnitBatch(long[] dims, long[]... strides) {
        int kept = 0;
        for (long d : dims) if (d != 1) kept++;
        long[][] out = new long[1 + strides.length][kept];
        for (int i = 0, k = 0; i < dims.length; i++) {
            if (dims[i] == 1) continue;
            out[0][k] = dims[i];
            for (int s = 0; s < strides.length; s++) out[1 + s][k] = strides[s][i];
            k++;
        }
        return out;
    }

    private static long[] concat(long[] head, long... tail) {
        long[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    /** Appends {@code dst = scale * dst} (eltwise linear) to {@code attr}'s post-ops. */
    private static void setScale(Arena arena, MemorySegment attr, float scale) {
        MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
        OneDnn.check("dnnl_post_ops_create", dnnl_post_ops_create(ptr));
        MemorySegment postOps = ptr.get(ValueLayout.ADDRESS, 0);
        try {
            OneDnn.check("dnnl_post_ops_append_eltwise", dnnl_post_ops_append_eltwise(postOps, dnnl_eltwise_linear(), scale, 0f));
            OneDnn.check("dnnl_primitive_attr_set_post_ops", dnnl_primitive_attr_set_post_ops(attr, postOps));
        } finally {
            dnnl_post_ops_destroy(postOps);
        }
    }

    /** A float32 memory descriptor with explicit element strides (a 0-dim shape becomes {@code [1]}). */
    static MemorySegment strided(Arena arena, long[] dims, long[] strides) {
        if (dims.length == 0) {
            dims = new long[] {1};
            strides = new long[] {1};
        }
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        OneDnn.check("dnnl_memory_desc_create_with_strides", dnnl_memory_desc_create_with_strides(out, dims.length,
                arena.allocateFrom(ValueLayout.JAVA_LONG, dims), dnnl_f32(), arena.allocateFrom(ValueLayout.JAVA_LONG, strides)),
                Arrays.toString(dims) + " strides " + Arrays.toString(strides));
        return out.get(ValueLayout.ADDRESS, 0);
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public void scale(Tensor x, double alpha, Tensor out) {
        long n = x.numel();
        if (!eligible(x, out) || n == 0 || !fitsFloat(alpha)) {
            java.scale(x, alpha, out);
            return;
        }
        float a = (float) alpha;
        OnePrimitive.Key key = new OnePrimitive.Key("eltwise_linear", List.of(dnnl_f32(), n, Float.floatToIntBits(a)),
                DNNL_ARG_SRC(), DNNL_ARG_DST());
        OnePrimitive p = OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), n);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_eltwise_forward_primitive_desc_create", dnnl_eltwise_forward_primitive_desc_create(
                        ptr, engine, dnnl_forward_inference(), dnnl_eltwise_linear(), md, md, a, 0f, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
        ExecutionContext.current().run(p, x.segment(), out.segment());
    }

    @Override
    public void mul(Tensor x, Tensor y, Tensor out) {
        long n = x.numel();
        if (!eligible(x, y, out) || n == 0) {
            java.mul(x, y, out);
            return;
        }
        OnePrimitive.Key key = new OnePrimitive.Key("binary_mul", List.of(dnnl_f32(), n),
                DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST());
        OnePrimitive p = OneDnnRuntime.get().primitive(key, (engine, attr, arena) -> {
            MemorySegment md = ExecutionContext.rowMajor(arena, dnnl_f32(), n);
            try {
                MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
                OneDnn.check("dnnl_binary_primitive_desc_create", dnnl_binary_primitive_desc_create(
                        ptr, engine, dnnl_binary_mul(), md, md, md, attr), key.toString());
                return ptr.get(ValueLayout.ADDRESS, 0);
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        });
        ExecutionContext.current().run(p, x.segment(), y.segment(), out.segment());
    }

    // A memset or memcpy is already as fast as memory goes: no primitive would do better.

    @Override
    public void fill(Tensor t, double v) {
        java.fill(t, v);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        java.copy(src, dst);
    }

    /** A read-only row of {@link #COLUMN_BLOCK} float32 ones, the left operand of {@link #columnSums}. */
    private static final class Ones {
        static final MemorySegment SEGMENT = Arena.global().allocate(COLUMN_BLOCK * Float.BYTES, 64);

        static {
            for (long i = 0; i < COLUMN_BLOCK; i++) SEGMENT.setAtIndex(JAVA_FLOAT, i, 1f);
        }
    }

    /** Per-thread native scratch for partial sums, grown (never shrunk) so the steady state allocates nothing. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);
        private final Arena arena = Arena.ofAuto();
        private MemorySegment segment = MemorySegment.NULL;

        static MemorySegment get(long bytes) {
            Scratch s = CURRENT.get();
            if (s.segment.byteSize() < bytes) {
                s.segment = s.arena.allocate(Math.max(bytes, 2 * s.segment.byteSize()), 64);
            }
            return s.segment;
        }
    }

    /**
     * True if every element of {@code out} is finite. oneDNN's float32 (partial) sums can overflow to inf, or make nan
     * from inf - inf, where the Java kernels' double sums of the same values stay finite; such results are
     * recomputed in Java, so the backends agree (one pass over the output, which is far smaller than the input).
     */
    private static boolean allFinite(Tensor out) {
        MemorySegment s = out.segment();
        long n = out.numel();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(s.getAtIndex(JAVA_FLOAT, i))) return false;
        }
        return true;
    }
}

package org.loss4j.internal.workspace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.loss4j.DType;
import org.loss4j.Tensor;

/**
 * Per-thread scratch memory for the intermediate tensors of a loss (a bump allocator in the spirit of LWJGL's
 * MemoryStack). A call takes a {@link #mark()}, allocates, and {@link #release(long)}s; blocks are kept, so the
 * steady state allocates no native memory. Scratch tensors never escape a call.
 */
public final class Workspace {

    private static final ThreadLocal<Workspace> CURRENT = ThreadLocal.withInitial(Workspace::new);
    private static final long MIN_BLOCK = 1 << 16;
    private static final long ALIGN = 64;

    private final Arena arena = Arena.ofAuto();
    private final List<MemorySegment> blocks = new ArrayList<>();
    private int block = -1;
    private long offset;

    private final double[] scratch4 = new double[4];

    private Workspace() {}

    /**
     * Four doubles of per-thread scratch for a kernel's innermost use (e.g. a term's partial derivatives); shared by
     * every call on this thread, so a kernel must not hold it across a call into another kernel.
     */
    public double[] scratch4() {
        return scratch4;
    }

    /** The calling thread's workspace. */
    public static Workspace current() {
        return CURRENT.get();
    }

    /** A position to return to with {@link #release(long)}. */
    public long mark() {
        return ((long) (block + 1) << 40) | offset;
    }

    /** Frees everything allocated since {@code mark}. */
    public void release(long mark) {
        block = (int) (mark >>> 40) - 1;
        offset = mark & ((1L << 40) - 1);
    }

    /** A zero-filled scratch tensor, valid until the enclosing mark is released. */
    public Tensor zeros(DType dtype, long... shape) {
        Tensor t = uninitialized(dtype, shape);
        t.segment().fill((byte) 0);
        return t;
    }

    /** A scratch tensor whose contents are undefined. */
    public Tensor uninitialized(DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        long bytes = Math.max(ALIGN, (n * dtype.byteSize() + ALIGN - 1) & -ALIGN);
        place(bytes);
        // the same place, dtype and shape as an earlier call (the steady state): the same tensor object
        int h = slot(placedBlock, placedOffset, dtype, shape);
        Tensor t = views[h];
        if (t != null && viewBlock[h] == placedBlock && viewOffset[h] == placedOffset && t.dtype() == dtype && sameShape(t, shape)) {
            return t;
        }
        t = Tensor.wrap(blocks.get(placedBlock).asSlice(placedOffset, bytes), dtype, shape);
        views[h] = t;
        viewBlock[h] = placedBlock;
        viewOffset[h] = placedOffset;
        return t;
    }

    /** Scratch tensors handed out before, by place: a call that repeats allocates no tensor objects. */
    private static final int VIEWS = 256;
    private final Tensor[] views = new Tensor[VIEWS];
    private final int[] viewBlock = new int[VIEWS];
    private final long[] viewOffset = new long[VIEWS];
    private int placedBlock;
    private long placedOffset;

    private static int slot(int block, long offset, DType dtype, long[] shape) {
        long h = block * 0x9E3779B97F4A7C15L + offset * 31 + dtype.ordinal();
        for (long d : shape) h = h * 1_000_003L + d;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h >>> 56) & (VIEWS - 1);
    }

    private static boolean sameShape(Tensor t, long[] shape) {
        if (t.dim() != shape.length) return false;
        for (int d = 0; d < shape.length; d++) {
            if (t.size(d) != shape[d]) return false;
        }
        return true;
    }

    /** Reserves {@code bytes} at ({@link #placedBlock}, {@link #placedOffset}). */
    private void place(long bytes) {
        if (block >= 0 && offset + bytes <= blocks.get(block).byteSize()) {
            placedBlock = block;
            placedOffset = offset;
            offset += bytes;
            return;
        }
        // next block that fits, else a new one at least twice the last
        while (block + 1 < blocks.size()) {
            block++;
            offset = 0;
            if (bytes <= blocks.get(block).byteSize()) {
                placedBlock = block;
                placedOffset = 0;
                offset = bytes;
                return;
            }
        }
        long last = blocks.isEmpty() ? MIN_BLOCK : blocks.getLast().byteSize();
        long size = Math.max(bytes, Math.max(MIN_BLOCK, last * 2));
        blocks.add(arena.allocate(size, ALIGN));
        block = blocks.size() - 1;
        placedBlock = block;
        placedOffset = 0;
        offset = bytes;
    }
}

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
        MemorySegment seg = allocate(bytes);
        return Tensor.wrap(seg, dtype, shape);
    }

    private MemorySegment allocate(long bytes) {
        if (block >= 0 && offset + bytes <= blocks.get(block).byteSize()) {
            MemorySegment s = blocks.get(block).asSlice(offset, bytes);
            offset += bytes;
            return s;
        }
        // next block that fits, else a new one at least twice the last
        while (block + 1 < blocks.size()) {
            block++;
            offset = 0;
            if (bytes <= blocks.get(block).byteSize()) {
                offset = bytes;
                return blocks.get(block).asSlice(0, bytes);
            }
        }
        long last = blocks.isEmpty() ? MIN_BLOCK : blocks.getLast().byteSize();
        long size = Math.max(bytes, Math.max(MIN_BLOCK, last * 2));
        blocks.add(arena.allocate(size, ALIGN));
        block = blocks.size() - 1;
        offset = bytes;
        return blocks.get(block).asSlice(0, bytes);
    }
}

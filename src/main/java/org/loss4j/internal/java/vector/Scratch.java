package org.loss4j.internal.java.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A small float32 scratch block per thread, made once per thread and reused call after call: the vector kernels share
 * their math through memory (see {@link VectorMath}), and where a result is not wanted it goes here. 2048 floats
 * (8 KiB) stay in L1 between the passes that write and read them.
 */
public final class Scratch {

    /** Floats in each thread's block. */
    public static final int FLOATS = 2048;

    // native, as callers' tensors are: a heap segment here would make the JDK's segment accesses, shared by every
    // kernel, see two segment classes, and C2 then compiles every vector load and store slower (measured: MSE 1e6
    // forward went from 85 to 330 us once a kernel using a heap scratch had run). Freed with its thread.
    private static final ThreadLocal<MemorySegment> BLOCK =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate((long) FLOATS * Float.BYTES, 64));

    private Scratch() {}

    /** This thread's block of {@link #FLOATS} floats; its contents are undefined on entry. */
    public static MemorySegment floats() {
        return BLOCK.get();
    }
}

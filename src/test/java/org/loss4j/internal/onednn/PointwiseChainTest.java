package org.loss4j.internal.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.workspace.Workspace;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;

/**
 * The oneDNN behaviours the pointwise chains rely on, and that finite inputs are really served by the chains (a
 * non-finite one is redone in Java). The numbers themselves are compared with the Java backend in
 * {@code OneDnnPointwiseTest}.
 */
class PointwiseChainTest {

    @BeforeAll
    static void available() {
        assumeTrue(OneDnnRuntime.unavailableReason() == null, () -> "oneDNN is not available: " + OneDnnRuntime.unavailableReason());
    }

    static MemorySegment floats(Arena arena, float... v) {
        MemorySegment s = arena.allocate(4L * v.length, 64);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v[i]);
        return s;
    }

    static float[] read(MemorySegment s, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return out;
    }

    /**
     * HingeEmbedding's masks need {@code NaN != 1} to be 1 (Java's and PyTorch's {@code b != 1}); comparisons give
     * exactly 0 or 1; {@code lt}/{@code le} are false on NaN.
     */
    @Test
    void comparisonsAsTheChainsUseThem() {
        try (Arena arena = Arena.ofConfined()) {
            float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
            MemorySegment x = floats(arena, nan, 1, -1, inf, 0.5f, -0f, 2, nan, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            MemorySegment one = floats(arena, 1f), dst = arena.allocate(17 * 4L, 64);
            PointwiseChain.binaryScalar(dnnl_binary_ne()).run(17, x, one, dst);
            assertEquals(java.util.Arrays.toString(new float[] {1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                    java.util.Arrays.toString(read(dst, 17)));
            PointwiseChain.binaryScalar(dnnl_binary_le()).run(17, x, one, dst);
            assertEquals(java.util.Arrays.toString(new float[] {0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1}),
                    java.util.Arrays.toString(read(dst, 17)));
            PointwiseChain.binaryScalar(dnnl_binary_lt()).run(17, x, one, dst);
            assertEquals(java.util.Arrays.toString(new float[] {0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                    java.util.Arrays.toString(read(dst, 17)));
        }
    }

    /** Row sums, the tail added in Java: the sum of 0..n-1 exactly (every partial is an exact float). */
    @Test
    void sumOfRowsAndTail() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1000;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = i;
            MemorySegment s = floats(arena, v);
            Workspace ws = Workspace.current();
            long mark = ws.mark();
            try {
                OneDnnPointwiseOps.Chains x = new OneDnnPointwiseOps.Chains(n, new Tensor[] {Tensor.wrap(s, DType.F32, n)},
                        null, 1f, 0f, ws);
                assertEquals(n * (n - 1) / 2.0, x.sum(s));
            } finally {
                ws.release(mark);
            }
        }
    }

    /** Finite inputs are served by the chains, a non-finite input is redone by the Java group. */
    @Test
    void finiteInputsAreNativeNonFiniteAreRedoneInJava() {
        org.loss4j.Backend onednn = org.loss4j.Backends.get("onednn");
        for (String name : new String[] {"MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "MarginRankingLoss", "HingeEmbeddingLoss"}) {
            int arity = name.equals("MarginRankingLoss") ? 3 : 2;
            Tensor[] args = new Tensor[arity];
            for (int k = 0; k < arity; k++) {
                float[] v = new float[300];
                for (int i = 0; i < v.length; i++) v[i] = k == 1 && name.equals("HingeEmbeddingLoss") ? (i % 2 == 0 ? 1 : -1) : (float) Math.sin(i + k);
                args[k] = Tensor.of(v);
            }
            Loss loss = Losses.fromPyTorch(name, Map.of()).on(onednn);
            long before = OneDnnPointwiseOps.REDONE_IN_JAVA.sum(), served = OneDnnPointwiseOps.SERVED.sum();
            loss.forwardBackward(args);
            assertEquals(before, OneDnnPointwiseOps.REDONE_IN_JAVA.sum(), name + ": finite inputs must not be redone in Java");
            assertEquals(served + 1, OneDnnPointwiseOps.SERVED.sum(), name + ": finite inputs are served by the chains");
            args[0].setDouble(7, Double.NaN);
            assertTrue(Double.isNaN(loss.forward(args).item()), name);
            assertEquals(before + 1, OneDnnPointwiseOps.REDONE_IN_JAVA.sum(), name + ": a NaN input is redone in Java");
        }
    }
}

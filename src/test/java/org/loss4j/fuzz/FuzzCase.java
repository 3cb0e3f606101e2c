package org.loss4j.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;

/**
 * One generated call of one loss: its PyTorch options, its arguments, and what must happen. Built by
 * {@link FuzzCases#build}; run on every backend by {@link FuzzRunner}.
 */
final class FuzzCase {

    /** What the call must do. */
    enum Expect {
        /** Succeed on every backend, with the Java backend's values (forward and every gradient). */
        VALID,
        /** Forward as {@link #VALID}; backward throws {@link UnsupportedOperationException} (a distance without gradient). */
        FORWARD_ONLY,
        /** Throw {@link #expected} (exactly that class) on every backend, with a message naming one of {@link #mentions}. */
        THROWS,
        /** Either: succeed and agree across backends, or throw one documented exception, the same on every backend. */
        EITHER
    }

    /** A call that replaces the backward step and must throw (bad gradOutput, bad output buffers). */
    @FunctionalInterface
    interface BadCall {
        void run(Loss loss, Tensor[] args, Tensor forwardOutput);
    }

    final FuzzCases.Knobs knobs;
    final String loss;
    final Map<String, Object> options = new LinkedHashMap<>();
    /** The argument names in PyTorch's order (what the generator built; the loss's own list for errors). */
    final List<String> argNames = new ArrayList<>();
    /** The arguments as passed (possibly heap-backed, misaligned, closed or null). */
    Tensor[] args;
    /** The same arguments in plain native memory, for the Java reference of a non-native memory kind; may be null. */
    Tensor[] nativeArgs;
    /** The floating dtype of the case. */
    DType dtype;
    Expect expect = Expect.VALID;
    Class<? extends RuntimeException> expected;
    Set<String> mentions = Set.of();
    /** What was done to the valid case, for the report. */
    String mutation = "none";
    /** Runs after every backend's loss is built and before the calls (closes option memory). */
    Runnable afterBuild;
    /** Replaces the backward call; must throw {@link #expected}. */
    BadCall badCall;
    /** Confined arenas of this case, closed by the generating thread once the case has run. */
    final List<java.lang.foreign.Arena> cleanup = new ArrayList<>();
    /** Also check forwardInto / forwardBackwardInto against forward / backward. */
    boolean intoStyles;

    FuzzCase(FuzzCases.Knobs knobs, String loss) {
        this.knobs = knobs;
        this.loss = loss;
    }

    void expectThrows(Class<? extends RuntimeException> type, String mutation, String... mentions) {
        this.expect = Expect.THROWS;
        this.expected = type;
        this.mutation = mutation;
        this.mentions = Set.of(mentions);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(loss).append(" {");
        int k = 0;
        for (Map.Entry<String, Object> e : options.entrySet()) {
            sb.append(k++ == 0 ? "" : ", ").append(e.getKey()).append('=').append(describe(e.getValue()));
        }
        sb.append("}(");
        if (args == null) {
            sb.append("null");
        } else {
            for (int i = 0; i < args.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(i < argNames.size() ? argNames.get(i) : "extra").append('=')
                        .append(describe(args[i]));
            }
        }
        sb.append(") mutation=").append(mutation).append(" expect=").append(expect);
        if (expect == Expect.THROWS) sb.append(' ').append(expected.getSimpleName()).append(" naming one of ").append(mentions);
        sb.append(" memory=").append(knobs.memory()).append(" values=").append(knobs.values());
        return sb.toString();
    }

    static String describe(Object v) {
        if (v instanceof Tensor t) {
            if (!t.isAlive()) return t.dtype().torchName() + Arrays.toString(t.shape()) + "(closed)";
            StringBuilder sb = new StringBuilder(t.dtype().torchName()).append(Arrays.toString(t.shape()));
            long n = Math.min(t.numel(), 12);
            sb.append('{');
            for (long i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : " ");
                if (t.dtype().isFloating()) sb.append((float) t.getDouble(i));
                else sb.append(t.getLong(i));
            }
            if (t.numel() > n) sb.append(" ...");
            sb.append('}');
            if (!t.segment().isNative()) sb.append("(heap)");
            return sb.toString();
        }
        if (v instanceof long[] a) return Arrays.toString(a);
        if (v instanceof int[] a) return Arrays.toString(a);
        if (v instanceof double[] a) return Arrays.toString(a);
        if (v instanceof String s) return "'" + s + "'";
        return String.valueOf(v);
    }
}

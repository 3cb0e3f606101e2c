package org.loss4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;

/**
 * One benchmark workload: a loss (PyTorch class name), its PyTorch keyword options, and its arguments in PyTorch's
 * order, each with a shape and a deterministic fill. Every implementation (loss4j backends, libtorch) computes on the
 * same bytes: {@link #allocate} makes the tensors once and the peers wrap that memory.
 */
public final class Workload {

    /** How an argument's memory is filled (deterministic: the random source is seeded per workload). */
    @FunctionalInterface
    public interface Fill {
        void fill(MemorySegment seg, DType dtype, long[] shape, SplittableRandom rnd);
    }

    /**
     * An argument: floating ones take the benchmark's dtype, integral ones are int64.
     *
     * @param grad whether the benchmark asks for this argument's gradient (what a training step would differentiate)
     */
    public record Arg(String name, boolean integral, long[] shape, Fill fill, boolean grad) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public DType dtype(DType floating) {
            return integral ? DType.I64 : floating;
        }
    }

    private final String loss;
    private final String size;
    private final String shapeText;
    private final Map<String, Object> options;
    private final String defaultReduction;
    private final List<Arg> args;

    Workload(String loss, String size, String shapeText, Map<String, Object> options, String defaultReduction, List<Arg> args) {
        this.loss = loss;
        this.size = size;
        this.shapeText = shapeText;
        this.options = Map.copyOf(options);
        this.defaultReduction = defaultReduction;
        this.args = List.copyOf(args);
    }

    /** PyTorch's class name, e.g. {@code CrossEntropyLoss}. */
    public String loss() {
        return loss;
    }

    /** {@code small}, {@code medium} or {@code large}. */
    public String size() {
        return size;
    }

    /** The shape in words, e.g. {@code (32, 32000)}. */
    public String shapeText() {
        return shapeText;
    }

    /** PyTorch keyword options other than the reduction (e.g. AdaptiveLogSoftmaxWithLoss's sizes). */
    public Map<String, Object> options() {
        return options;
    }

    public List<Arg> args() {
        return args;
    }

    /** The reduction that {@code requested} means here: {@code default} is the workload's own (mean; batchmean for KLDivLoss). */
    public String reduction(String requested) {
        return requested == null || requested.isEmpty() || requested.equals("default") ? defaultReduction : requested;
    }

    /** The loss4j loss with this workload's options and the given reduction (on automatic backend selection). */
    public Loss createLoss(String reduction) {
        Map<String, Object> o = new LinkedHashMap<>(options);
        String r = reduction(reduction);
        if (!loss.equals("AdaptiveLogSoftmaxWithLoss")) o.put("reduction", r);
        else if (!r.equals("mean")) throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss has only the mean, got " + r);
        return Losses.fromPyTorch(loss, o);
    }

    /** Bytes of all arguments: what one forward call must read at least. */
    public long inputBytes(DType floating) {
        long b = 0;
        for (Arg a : args) b += a.numel() * a.dtype(floating).byteSize();
        return b;
    }

    /** Bytes of the requested gradients: what a forward+backward call must write on top. */
    public long gradBytes(DType floating) {
        long b = 0;
        for (Arg a : args) if (a.grad()) b += a.numel() * floating.byteSize();
        return b;
    }

    /** Allocates and fills every argument in {@code arena} (use a shared arena: kernels may read from several threads). */
    public Tensor[] allocate(Arena arena, DType floating) {
        if (!floating.isFloating()) throw new IllegalArgumentException("dtype must be floating, got " + floating);
        SplittableRandom rnd = new SplittableRandom(0x10554Aa1L ^ (loss.hashCode() * 31L + size.hashCode()));
        Tensor[] t = new Tensor[args.size()];
        for (int i = 0; i < t.length; i++) {
            Arg a = args.get(i);
            t[i] = Tensor.zeros(arena, a.dtype(floating), a.shape());
            a.fill().fill(t[i].segment(), t[i].dtype(), a.shape(), rnd.split());
        }
        return t;
    }

    @Override
    public String toString() {
        return loss + "/" + size + " " + shapeText;
    }

    // ------------------------------------------------------------------ fills

    static void set(MemorySegment s, DType dt, long i, double v) {
        switch (dt) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
            case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, (long) v);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, DType.floatToBf16((float) v));
        }
    }

    static double get(MemorySegment s, DType dt, long i) {
        return switch (dt) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            case BF16 -> DType.bf16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
        };
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Uniform in [lo, hi). */
    static Fill uniform(double lo, double hi) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, lo + (hi - lo) * r.nextDouble());
        };
    }

    /** -1 or +1. */
    static Fill signs() {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextBoolean() ? 1 : -1);
        };
    }

    /** 0 or 1. */
    static Fill bits() {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextBoolean() ? 1 : 0);
        };
    }

    /** Integers uniform in [lo, hi). */
    static Fill ints(long lo, long hi) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextLong(lo, hi));
        };
    }

    /** Log-uniform class indices in [0, classes): frequent classes first, as adaptive softmax assumes. */
    static Fill zipfClasses(long classes) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) {
                long c = (long) Math.floor(Math.pow(classes, r.nextDouble())) - 1;
                set(s, dt, i, Math.max(0, Math.min(classes - 1, c)));
            }
        };
    }

    /** The constant {@code v}. */
    static Fill constant(double v) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, v);
        };
    }

    /** log_softmax (or softmax) over the last dimension of values uniform in [-3, 3). */
    static Fill softmaxRows(boolean log) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            long c = shape[shape.length - 1];
            double[] row = new double[(int) c];
            for (long base = 0; base < n; base += c) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    row[j] = -3 + 6 * r.nextDouble();
                    max = Math.max(max, row[j]);
                }
                double sum = 0;
                for (int j = 0; j < c; j++) sum += Math.exp(row[j] - max);
                double lse = max + Math.log(sum);
                for (int j = 0; j < c; j++) set(s, dt, base + j, log ? row[j] - lse : Math.exp(row[j] - lse));
            }
        };
    }

    /** MultiLabelMarginLoss targets (N, C): {@code k} distinct labels per row, then -1 padding. */
    static Fill multiLabels(int k) {
        return (s, dt, shape, r) -> {
            long rows = shape.length == 1 ? 1 : shape[0];
            long c = shape[shape.length - 1];
            for (long i = 0; i < rows; i++) {
                long[] picked = new long[(int) Math.min(k, c)];
                int m = 0;
                while (m < picked.length) {
                    long label = r.nextLong(c);
                    boolean dup = false;
                    for (int j = 0; j < m; j++) dup |= picked[j] == label;
                    if (!dup) picked[m++] = label;
                }
                for (long j = 0; j < c; j++) set(s, dt, i * c + j, j < m ? picked[(int) j] : -1);
            }
        };
    }

    static long[] shape(long... dims) {
        return dims;
    }

    static String text(long... dims) {
        return Arrays.toString(dims).replace('[', '(').replace(']', ')');
    }
}

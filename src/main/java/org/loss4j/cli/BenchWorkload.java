package org.loss4j.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;

/**
 * A {@code bench} workload: a loss (PyTorch class name), a shape, and its arguments in PyTorch's order with
 * deterministic fills (the same data kinds as the JMH project's {@code benchmarks/.../Workloads.java}: logits,
 * log-softmax rows, class indices, +-1 targets, CTC labels without blank).
 *
 * <p>Shapes by family: element-wise losses take any shape ({@code 1e6} or {@code 64,32000}); class losses
 * {@code N,C}; embedding losses {@code N,D}; KLDivLoss {@code N,C} (batchmean); CTCLoss {@code T,N,C,S};
 * AdaptiveLogSoftmaxWithLoss {@code N,in_features,n_classes,cutoff...}.
 */
final class BenchWorkload {

    /** An argument: floating ones take the benchmark's dtype, integral ones are int64. */
    record Arg(String name, boolean integral, long[] shape, Fill fill, boolean grad) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    @FunctionalInterface
    interface Fill {
        void fill(MemorySegment seg, DType dtype, long[] shape, SplittableRandom rnd);
    }

    static final List<String> POINTWISE = List.of("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "SoftMarginLoss",
            "BCELoss", "BCEWithLogitsLoss", "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss");
    static final List<String> CLASS = List.of("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss",
            "MultiLabelMarginLoss");
    static final List<String> EMBEDDING = List.of("CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss");

    /** The default set: issue 5's representative workloads. */
    static final List<String> DEFAULT_SPECS = List.of("cross_entropy=8,10", "cross_entropy=32,32000", "mse=1e3", "mse=1e6",
            "bce_with_logits=1e6", "kl_div=64,32000", "ctc=200,32,30,60");

    /** {@code small}, {@code medium}, {@code large}: the JMH project's sizes. */
    static final List<String> SIZES = List.of("small", "medium", "large");

    final String loss;
    final long[] dims;
    final String shapeText;
    final Map<String, Object> options;
    final String defaultReduction;
    final List<Arg> args;

    private BenchWorkload(String loss, long[] dims, String shapeText, Map<String, Object> options, String defaultReduction,
            List<Arg> args) {
        this.loss = loss;
        this.dims = dims;
        this.shapeText = shapeText;
        this.options = options;
        this.defaultReduction = defaultReduction;
        this.args = args;
    }

    /** PyTorch's class name for {@code mse}, {@code mse_loss}, {@code MSELoss}, {@code cross-entropy}, {@code bce_with_logits}... */
    static String lossName(String name) {
        String k = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (k.endsWith("loss")) k = k.substring(0, k.length() - 4);
        for (String n : Losses.NAMES) {
            String nk = n.toLowerCase(Locale.ROOT);
            if (nk.endsWith("loss")) nk = nk.substring(0, nk.length() - 4);
            if (nk.equals(k)) return n;
        }
        return switch (k) {
            case "ce" -> "CrossEntropyLoss";
            case "binarycrossentropy" -> "BCELoss";
            case "binarycrossentropywithlogits" -> "BCEWithLogitsLoss";
            case "adaptivelogsoftmax", "adaptive", "adaptivelogsoftmaxwith" -> "AdaptiveLogSoftmaxWithLoss";
            case "kl", "kldivergence" -> "KLDivLoss";
            case "gaussiannll" -> "GaussianNLLLoss";
            case "triplet" -> "TripletMarginLoss";
            case "cosine" -> "CosineEmbeddingLoss";
            default -> throw new IllegalArgumentException("--loss: unknown loss '" + name + "'; known: " + Losses.NAMES
                    + " (also snake_case: mse, cross_entropy, bce_with_logits, kl_div, ctc, ...)");
        };
    }

    /** Parses {@code 1e6}, {@code 32,32000}, {@code 32x32000}, {@code (200, 32, 30, 60)}. */
    static long[] parseDims(String text) {
        String t = text.trim().replaceAll("^[(\\[]|[)\\]]$", "");
        String[] parts = t.split("\\s*[,x×]\\s*");
        long[] d = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                double v = Double.parseDouble(parts[i].trim());
                if (v < 0 || v != Math.rint(v) || v > 1e15) throw new NumberFormatException();
                d[i] = (long) v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape '" + text + "': '" + parts[i] + "' is not a non-negative integer");
            }
        }
        return d;
    }

    /** The JMH project's shape of {@code loss} at {@code size} (small, medium, large). */
    static long[] sizeDims(String loss, String size) {
        int s = SIZES.indexOf(size.toLowerCase(Locale.ROOT));
        if (s < 0) throw new IllegalArgumentException("--size must be one of " + SIZES + ", got '" + size + "'");
        if (loss.equals("KLDivLoss")) return new long[][] {{8, 125}, {64, 32_000}, {500, 32_000}}[s];
        if (POINTWISE.contains(loss)) return new long[] {new long[] {1_000, 1_000_000, 16_000_000}[s]};
        if (CLASS.contains(loss)) return new long[][] {{8, 10}, {4, 128_000}, {32, 32_000}}[s];
        if (EMBEDDING.contains(loss)) return new long[][] {{8, 16}, {256, 512}, {4096, 1024}}[s];
        if (loss.equals("CTCLoss")) return new long[][] {{50, 1, 20, 10}, {200, 32, 30, 60}, {500, 64, 80, 150}}[s];
        return new long[][] {{32, 16, 100, 20, 60}, {128, 256, 32_000, 2_000, 10_000}, {256, 512, 64_000, 4_000, 20_000}}[s];
    }

    /** A workload from a spec {@code loss[=shape]}; a missing shape comes from {@code defaultShape}, else {@code size}. */
    static BenchWorkload parse(String spec, String defaultShape, String size) {
        int eq = spec.indexOf('=');
        if (eq < 0) eq = spec.indexOf(':');
        String loss = lossName(eq < 0 ? spec : spec.substring(0, eq));
        long[] dims;
        if (eq >= 0) dims = parseDims(spec.substring(eq + 1));
        else if (defaultShape != null) dims = parseDims(defaultShape);
        else dims = sizeDims(loss, size == null ? "medium" : size);
        return of(loss, dims);
    }

    static BenchWorkload of(String loss, long[] d) {
        if (loss.equals("KLDivLoss")) {
            return new BenchWorkload(loss, d, text(d), Map.of(), "batchmean",
                    List.of(in("input", softmaxRows(true), true, d), in("target", softmaxRows(false), false, d)));
        }
        if (POINTWISE.contains(loss)) return pointwise(loss, d);
        if (CLASS.contains(loss)) {
            need(loss, d, 2, "N,C");
            long n = d[0], c = d[1];
            if (c < 1) throw new IllegalArgumentException(loss + ": C must be >= 1, got shape " + text(d));
            List<Arg> a = switch (loss) {
                case "CrossEntropyLoss" -> List.of(in("input", uniform(-3, 3), true, d), index("target", ints(0, c), n));
                case "NLLLoss" -> List.of(in("input", softmaxRows(true), true, d), index("target", ints(0, c), n));
                case "MultiMarginLoss" -> List.of(in("input", uniform(-1, 1), true, d), index("target", ints(0, c), n));
                case "MultiLabelSoftMarginLoss" -> List.of(in("input", uniform(-3, 3), true, d), in("target", bits(), false, d));
                default -> List.of(in("input", uniform(-1, 1), true, d), index("target", multiLabels(4), d));
            };
            return new BenchWorkload(loss, d, text(d), Map.of(), "mean", a);
        }
        if (EMBEDDING.contains(loss)) {
            need(loss, d, 2, "N,D");
            List<Arg> a = loss.equals("CosineEmbeddingLoss")
                    ? List.of(in("input1", uniform(-1, 1), true, d), in("input2", uniform(-1, 1), true, d), in("target", signs(), false, d[0]))
                    : List.of(in("anchor", uniform(-1, 1), true, d), in("positive", uniform(-1, 1), true, d),
                            in("negative", uniform(-1, 1), true, d));
            return new BenchWorkload(loss, d, text(d), Map.of(), "mean", a);
        }
        if (loss.equals("CTCLoss")) {
            need(loss, d, 4, "T,N,C,S");
            long t = d[0], n = d[1], c = d[2], s = d[3];
            if (c < 2) throw new IllegalArgumentException("CTCLoss: C must be >= 2 (blank + a label), got " + c);
            List<Arg> a = List.of(in("log_probs", softmaxRows(true), true, t, n, c), index("targets", ints(1, c), n, s),
                    index("input_lengths", constant(t), n), index("target_lengths", constant(s), n));
            return new BenchWorkload(loss, d, "T=" + t + " N=" + n + " C=" + c + " S=" + s, Map.of(), "mean", a);
        }
        if (loss.equals("AdaptiveLogSoftmaxWithLoss")) {
            if (d.length < 4) {
                throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss: shape must be N,in_features,n_classes,cutoff...,"
                        + " got " + text(d));
            }
            long n = d[0], inF = d[1], classes = d[2];
            long[] cutoffs = Arrays.copyOfRange(d, 3, d.length);
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("in_features", inF);
            opt.put("n_classes", classes);
            List<Long> cut = new ArrayList<>();
            for (long c : cutoffs) cut.add(c);
            opt.put("cutoffs", cut);
            double bound = 1 / Math.sqrt(inF);
            List<Arg> a = new ArrayList<>();
            a.add(in("input", uniform(-1, 1), true, n, inF));
            a.add(index("target", zipfClasses(classes), n));
            a.add(in("head_weight", uniform(-bound, bound), true, cutoffs[0] + cutoffs.length, inF));
            for (int i = 0; i < cutoffs.length; i++) {
                long hsz = (long) Math.floor(inF / Math.pow(4.0, i + 1));
                long osz = (i + 1 < cutoffs.length ? cutoffs[i + 1] : classes) - cutoffs[i];
                a.add(in("tail_" + i + "_0_weight", uniform(-bound, bound), true, hsz, inF));
                a.add(in("tail_" + i + "_1_weight", uniform(-1 / Math.sqrt(hsz), 1 / Math.sqrt(hsz)), true, osz, hsz));
            }
            return new BenchWorkload(loss, d, "N=" + n + " in=" + inF + " classes=" + classes + " cutoffs=" + cut, opt, "mean", a);
        }
        throw new IllegalArgumentException("no workload for loss '" + loss + "'");
    }

    private static BenchWorkload pointwise(String loss, long[] sh) {
        List<Arg> a = switch (loss) {
            case "MSELoss", "L1Loss" -> List.of(in("input", uniform(-1, 1), true, sh), in("target", uniform(-1, 1), false, sh));
            case "HuberLoss", "SmoothL1Loss" -> List.of(in("input", uniform(-2, 2), true, sh), in("target", uniform(-1, 1), false, sh));
            case "SoftMarginLoss" -> List.of(in("input", uniform(-2, 2), true, sh), in("target", signs(), false, sh));
            case "BCELoss" -> List.of(in("input", uniform(0.001, 0.999), true, sh), in("target", uniform(0, 1), false, sh));
            case "BCEWithLogitsLoss" -> List.of(in("input", uniform(-5, 5), true, sh), in("target", bits(), false, sh));
            case "PoissonNLLLoss" -> List.of(in("input", uniform(-2, 2), true, sh), in("target", ints(0, 6), false, sh));
            case "GaussianNLLLoss" -> List.of(in("input", uniform(-1, 1), true, sh), in("target", uniform(-1, 1), false, sh),
                    in("var", uniform(0.1, 2), true, sh));
            case "HingeEmbeddingLoss" -> List.of(in("input", uniform(0, 2), true, sh), in("target", signs(), false, sh));
            case "MarginRankingLoss" -> List.of(in("input1", uniform(-1, 1), true, sh), in("input2", uniform(-1, 1), true, sh),
                    in("target", signs(), false, sh));
            default -> throw new IllegalArgumentException(loss);
        };
        return new BenchWorkload(loss, sh, sh.length == 1 ? "(" + sh[0] + ")" : text(sh), Map.of(), "mean", a);
    }

    private static void need(String loss, long[] d, int rank, String form) {
        if (d.length != rank) throw new IllegalArgumentException(loss + ": shape must be " + form + ", got " + text(d));
    }

    /** The reduction that {@code requested} means ({@code default}: mean; batchmean for KLDivLoss). */
    String reduction(String requested) {
        return requested == null || requested.isEmpty() || requested.equals("default") ? defaultReduction : requested;
    }

    Loss createLoss(String reduction) {
        Map<String, Object> o = new LinkedHashMap<>(options);
        String r = reduction(reduction);
        if (!loss.equals("AdaptiveLogSoftmaxWithLoss")) o.put("reduction", r);
        else if (!r.equals("mean")) throw new IllegalArgumentException("AdaptiveLogSoftmaxWithLoss has only the mean, got " + r);
        return Losses.fromPyTorch(loss, o);
    }

    /** Bytes of all arguments: what one forward call reads at least. */
    long inputBytes(DType floating) {
        long b = 0;
        for (Arg a : args) b += a.numel() * (a.integral() ? DType.I64 : floating).byteSize();
        return b;
    }

    /** Bytes of the gradients asked for: what forward+backward writes on top. */
    long gradBytes(DType floating) {
        long b = 0;
        for (Arg a : args) if (a.grad()) b += a.numel() * floating.byteSize();
        return b;
    }

    /** Allocates and fills every argument (use a shared arena: kernels may read from several threads). */
    Tensor[] allocate(Arena arena, DType floating) {
        SplittableRandom rnd = new SplittableRandom(0x10554Aa1L ^ (loss.hashCode() * 31L + Arrays.hashCode(dims)));
        Tensor[] t = new Tensor[args.size()];
        for (int i = 0; i < t.length; i++) {
            Arg a = args.get(i);
            t[i] = Tensor.zeros(arena, a.integral() ? DType.I64 : floating, a.shape());
            a.fill().fill(t[i].segment(), t[i].dtype(), a.shape(), rnd.split());
        }
        return t;
    }

    /** e.g. {@code CrossEntropyLoss (32, 32000)}. */
    String label() {
        return loss + " " + shapeText;
    }

    @Override
    public String toString() {
        return label();
    }

    // ------------------------------------------------------------------ fills

    private static Arg in(String name, Fill f, boolean grad, long... shape) {
        return new Arg(name, false, shape, f, grad);
    }

    private static Arg index(String name, Fill f, long... shape) {
        return new Arg(name, true, shape, f, false);
    }

    static String text(long... dims) {
        return Arrays.toString(dims).replace('[', '(').replace(']', ')');
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static void set(MemorySegment s, DType dt, long i, double v) {
        switch (dt) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
            case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, (long) v);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, DType.floatToBf16((float) v));
        }
    }

    private static Fill uniform(double lo, double hi) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, lo + (hi - lo) * r.nextDouble());
        };
    }

    private static Fill signs() {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextBoolean() ? 1 : -1);
        };
    }

    private static Fill bits() {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextBoolean() ? 1 : 0);
        };
    }

    private static Fill ints(long lo, long hi) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, r.nextLong(lo, hi));
        };
    }

    private static Fill constant(double v) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) set(s, dt, i, v);
        };
    }

    private static Fill zipfClasses(long classes) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            for (long i = 0; i < n; i++) {
                long c = (long) Math.floor(Math.pow(classes, r.nextDouble())) - 1;
                set(s, dt, i, Math.max(0, Math.min(classes - 1, c)));
            }
        };
    }

    /** log_softmax (or softmax) over the last dimension of values uniform in [-3, 3). */
    private static Fill softmaxRows(boolean log) {
        return (s, dt, shape, r) -> {
            long n = numel(shape);
            long c = shape.length == 0 ? 1 : shape[shape.length - 1];
            if (n == 0 || c == 0) return;
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

    /** MultiLabelMarginLoss targets (N, C): up to {@code k} distinct labels per row, then -1 padding. */
    private static Fill multiLabels(int k) {
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
}

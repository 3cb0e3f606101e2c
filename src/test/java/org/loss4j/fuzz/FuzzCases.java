package org.loss4j.fuzz;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.TripletMarginWithDistanceLoss.Distance;

/**
 * The generators of the loss fuzzer: from {@link Knobs} (what jqwik generates and shrinks: the loss, dtype,
 * reduction, sizes, value kind, memory kind, mutation and a seed for everything else) to a {@link FuzzCase}.
 *
 * <p>First a valid call is built per loss, following the shape rules of the PyTorch vectors (batched, unbatched and
 * K-dimensional forms, broadcasting where PyTorch broadcasts, every option in range, class indices in range or
 * {@code ignore_index}, CTC lengths within bounds). Then a {@link Mutation} may break it in one known way (the case
 * then says which exception must come), or {@link Mutation#WILD} breaks it in random ways (any documented outcome).
 * Finally the arguments are moved to the {@link MemoryKind} under test.
 */
final class FuzzCases {

    private FuzzCases() {}

    /** Floating values: plain, extreme (±100 logits, 1e30, exact 0 and 1), or special (NaN, ±inf, denormals, -0.0). */
    enum ValueKind { NORMAL, EXTREME, SPECIAL }

    /** Where the argument bytes live: every kind must give the same result as native memory. */
    enum MemoryKind { NATIVE, HEAP_TYPED, HEAP_BYTES, MISALIGNED, OVERSIZED }

    /** One way of breaking a valid call, each with a known outcome; WILD: random breakage, any documented outcome. */
    enum Mutation {
        NONE, NULL_ARG, ARITY, CLOSED_ARG, CONFINED_ARG, CLOSED_OPTION, BAD_OPTION, UNKNOWN_OPTION, OPTION_TYPE, BAD_REDUCTION,
        WRONG_DTYPE, MIXED_FLOAT, INDEX_OUT_OF_RANGE, BLANK_LABEL, LENGTHS, DOMAIN, SHAPE_MISMATCH, GRAD_OUTPUT,
        OUTPUT_BUFFER, WILD
    }

    /** Sizes: batch {@code n}, classes/width {@code c}, spatial dims, and the shape form (batched, unbatched, K-dim...). */
    record Dims(int n, int c, List<Integer> spatial, int form) {}

    /** Everything a case is built from. {@code reduction}: 0 default, 1 none, 2 sum, 3 mean (KLDiv: batchmean). */
    record Knobs(String loss, DType dtype, int reduction, Dims dims, ValueKind values, MemoryKind memory,
                 Mutation mutation, long seed) {}

    /** A user distance function without a gradient: forward only. */
    static final Distance USER_NO_GRADIENT = new Distance() {
        @Override
        public Tensor distance(Tensor x1, Tensor x2) {
            return Distance.pairwise().distance(x1, x2);
        }

        @Override
        public String toString() {
            return "user_pairwise(no gradient)";
        }
    };

    /** The same function with its gradient. */
    static final Distance USER_WITH_GRADIENT = Distance.of(USER_NO_GRADIENT, (x1, x2, g) -> Distance.pairwise().gradient(x1, x2, g));

    /** Every option name each loss takes (PyTorch's keywords), for "the message names an argument or option". */
    static final Map<String, List<String>> OPTIONS = Map.ofEntries(
            Map.entry("MSELoss", List.of("reduction")),
            Map.entry("L1Loss", List.of("reduction")),
            Map.entry("HuberLoss", List.of("reduction", "delta")),
            Map.entry("SmoothL1Loss", List.of("reduction", "beta")),
            Map.entry("GaussianNLLLoss", List.of("reduction", "full", "eps")),
            Map.entry("PoissonNLLLoss", List.of("reduction", "log_input", "full", "eps")),
            Map.entry("KLDivLoss", List.of("reduction", "log_target")),
            Map.entry("NLLLoss", List.of("reduction", "weight", "ignore_index")),
            Map.entry("CrossEntropyLoss", List.of("reduction", "weight", "ignore_index", "label_smoothing")),
            Map.entry("BCELoss", List.of("reduction", "weight")),
            Map.entry("BCEWithLogitsLoss", List.of("reduction", "weight", "pos_weight")),
            Map.entry("MarginRankingLoss", List.of("reduction", "margin")),
            Map.entry("HingeEmbeddingLoss", List.of("reduction", "margin")),
            Map.entry("CosineEmbeddingLoss", List.of("reduction", "margin")),
            Map.entry("SoftMarginLoss", List.of("reduction")),
            Map.entry("MultiLabelSoftMarginLoss", List.of("reduction", "weight")),
            Map.entry("MultiLabelMarginLoss", List.of("reduction")),
            Map.entry("MultiMarginLoss", List.of("reduction", "p", "margin", "weight")),
            Map.entry("TripletMarginLoss", List.of("reduction", "margin", "p", "eps", "swap")),
            Map.entry("TripletMarginWithDistanceLoss", List.of("reduction", "distance_function", "margin", "swap")),
            Map.entry("CTCLoss", List.of("reduction", "blank", "zero_infinity")),
            Map.entry("AdaptiveLogSoftmaxWithLoss", List.of("in_features", "n_classes", "cutoffs", "div_value", "head_bias")));

    static FuzzCase build(Knobs k) {
        return new Builder(k).build();
    }

    // ------------------------------------------------------------------ the builder of one case

    private static final class Builder {
        final Knobs k;
        final SplittableRandom rnd;
        final DType dt;
        final FuzzCase c;
        final List<Tensor> args = new ArrayList<>();
        final List<String> names = new ArrayList<>();

        // facts about the valid call, for the mutations
        int indexArg = -1;          // argument holding class indices (NLL, CE, MultiMargin, MultiLabelMargin, Adaptive)
        long classes = -1;          // C for those
        long ignoreIndex = Long.MIN_VALUE; // effective ignore_index (NLL, CE), MIN_VALUE: none
        boolean minusOneEnds;       // MultiLabelMargin: -1 is valid
        // CTC
        long ctcT, ctcN, ctcC, ctcS, blank;
        boolean ctcPadded;
        boolean forceConcat;
        long[] ctcTargetLengths;

        Builder(Knobs k) {
            this.k = k;
            this.rnd = new SplittableRandom(k.seed());
            this.dt = k.dtype();
            this.c = new FuzzCase(k, k.loss());
            c.dtype = dt;
        }

        FuzzCase build() {
            valid();
            reduction();
            c.argNames.addAll(names);
            c.args = args.toArray(Tensor[]::new);
            c.intoStyles = rnd.nextInt(4) == 0;
            Mutation m = k.mutation();
            if (m == Mutation.WILD) {
                wild();
            } else if (m != Mutation.NONE && !mutate(m)) {
                // not applicable to this loss or these sizes: another definite mutation that is
                List<Mutation> others = new ArrayList<>(List.of(Mutation.values()));
                others.removeAll(List.of(Mutation.NONE, Mutation.WILD, m));
                while (!others.isEmpty() && !mutate(others.remove(rnd.nextInt(others.size())))) {
                    // try the next
                }
            }
            relocate();
            return c;
        }

        // -------------------------------------------------------------- values

        double gaussian() {
            double u = rnd.nextDouble(1e-300, 1), v = rnd.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        }

        double pick(double... vs) {
            return vs[rnd.nextInt(vs.length)];
        }

        double denormal() {
            return dt == DType.F32 ? Float.MIN_VALUE * (1 + rnd.nextInt(100)) : Double.MIN_VALUE * (1 + rnd.nextInt(100));
        }

        double max() {
            return dt == DType.F32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        }

        double free() {
            return switch (k.values()) {
                case NORMAL -> gaussian() * (rnd.nextInt(5) == 0 ? 10 : 1);
                case EXTREME -> rnd.nextBoolean() ? gaussian() * 3
                        : pick(0.0, -0.0, 1, -1, 100, -100, 1e4, -1e4, 88.7, -88.7, 104, -104, 1e30, -1e30, max(), -max(), 1e-30);
                case SPECIAL -> rnd.nextInt(3) != 0 ? gaussian()
                        : pick(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, denormal(), -denormal(), -0.0, 0.0);
            };
        }

        double prob01() {
            return switch (k.values()) {
                case NORMAL -> rnd.nextDouble();
                case EXTREME -> rnd.nextBoolean() ? rnd.nextDouble() : pick(0, 1, 1e-7, 0.9999999, 0.5, 1e-30);
                case SPECIAL -> rnd.nextBoolean() ? rnd.nextDouble() : pick(0, 1, denormal(), -0.0, Math.nextDown(1.0f));
            };
        }

        double nonNegative() {
            return switch (k.values()) {
                case NORMAL -> Math.abs(gaussian()) + 0.05;
                case EXTREME -> rnd.nextBoolean() ? Math.abs(gaussian()) : pick(0, 1e-30, 1e30, 1e-7, 100, max());
                case SPECIAL -> rnd.nextBoolean() ? Math.abs(gaussian())
                        : pick(Double.NaN, Double.POSITIVE_INFINITY, 0, denormal(), -0.0);
            };
        }

        double sign() {
            return rnd.nextInt(7) == 0 ? free() : rnd.nextBoolean() ? 1 : -1;
        }

        interface Source {
            double next();
        }

        Tensor fill(DType type, Source s, long... shape) {
            Tensor t = Tensor.zeros(type, shape);
            for (long i = 0; i < t.numel(); i++) t.setDouble(i, s.next());
            return t;
        }

        Tensor f(long... shape) {
            return fill(dt, this::free, shape);
        }

        Tensor indexTensor(long... shape) {
            return Tensor.zeros(rnd.nextInt(4) == 0 ? DType.I32 : DType.I64, shape);
        }

        // -------------------------------------------------------------- shapes

        /** The base shape of element-wise losses, from the form: (n, c, *spatial), (c), (), (n, *spatial). */
        long[] base() {
            Dims d = k.dims();
            return switch (d.form() & 3) {
                case 0 -> concat(new long[] {d.n(), d.c()}, spatial());
                case 1 -> new long[] {d.c()};
                case 2 -> new long[0];
                default -> concat(new long[] {d.n()}, spatial());
            };
        }

        long[] spatial() {
            return k.dims().spatial().stream().mapToLong(Integer::longValue).toArray();
        }

        static long[] concat(long[] a, long[] b) {
            long[] s = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, s, a.length, b.length);
            return s;
        }

        /** A shape that broadcasts with {@code s}; the result is {@code s}, or grows by leading dims if {@code grow}. */
        long[] partner(long[] s, boolean grow) {
            long[] p = s.clone();
            switch (rnd.nextInt(6)) {
                case 0, 1 -> {}
                case 2 -> p = Arrays.copyOfRange(s, rnd.nextInt(s.length + 1), s.length);
                case 3 -> p = ones(s);
                case 4 -> p = ones(Arrays.copyOfRange(s, rnd.nextInt(s.length + 1), s.length));
                default -> {
                    if (grow) p = concat(new long[] {1 + rnd.nextInt(3)}, s);
                }
            }
            return p;
        }

        /** {@code s} with some dims set to 1. */
        long[] ones(long[] s) {
            long[] p = s.clone();
            for (int i = 0; i < p.length; i++) if (rnd.nextInt(3) == 0) p[i] = 1;
            return p;
        }

        void arg(String name, Tensor t) {
            names.add(name);
            args.add(t);
        }

        // -------------------------------------------------------------- valid calls, per loss

        void valid() {
            Dims d = k.dims();
            switch (k.loss()) {
                case "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "PoissonNLLLoss", "KLDivLoss", "HingeEmbeddingLoss" -> {
                    long[] s = base();
                    long[] p = partner(s, true);
                    boolean swap = rnd.nextInt(4) == 0;
                    arg("input", f(swap ? p : s));
                    arg("target", k.loss().equals("HingeEmbeddingLoss") ? fill(dt, this::sign, swap ? s : p) : f(swap ? s : p));
                    switch (k.loss()) {
                        case "HuberLoss" -> maybe("delta", 1.0, 0.5, 2.0, 1e-3, 10.0, 1e-50);
                        case "SmoothL1Loss" -> maybe("beta", 1.0, 0.0, 0.5, 2.0, 1e-3, 1e-50);
                        case "PoissonNLLLoss" -> {
                            maybeBool("log_input");
                            maybeBool("full");
                            maybe("eps", 1e-8, 0.0, 0.1, 1.0);
                        }
                        case "KLDivLoss" -> maybeBool("log_target");
                        case "HingeEmbeddingLoss" -> maybe("margin", 1.0, 0.5, 0.0, -1.0, 2.0);
                        default -> {}
                    }
                }
                case "SoftMarginLoss" -> {
                    long[] s = base();
                    arg("input", f(s));
                    arg("target", fill(dt, this::sign, partner(s, false)));
                }
                case "MarginRankingLoss" -> {
                    long[] s = base();
                    arg("input1", f(ones(s)));
                    arg("input2", f(ones(s)));
                    arg("target", fill(dt, this::sign, ones(s)));
                    maybe("margin", 0.0, 0.1, 0.5, -0.5, 1.0);
                }
                case "BCELoss" -> {
                    long[] s = base();
                    arg("input", fill(dt, this::prob01, s));
                    arg("target", fill(dt, this::prob01, s));
                    if (rnd.nextInt(5) < 2) c.options.put("weight", f(partner(s, false)));
                }
                case "BCEWithLogitsLoss" -> {
                    long[] s = base();
                    arg("input", f(s));
                    arg("target", rnd.nextBoolean() ? fill(dt, this::prob01, s) : f(s));
                    if (rnd.nextInt(3) == 0) c.options.put("weight", f(partner(s, false)));
                    if (rnd.nextInt(3) == 0) c.options.put("pos_weight", f(partner(s, false)));
                }
                case "GaussianNLLLoss" -> {
                    long[] s = base();
                    arg("input", f(s));
                    arg("target", f(rnd.nextBoolean() ? s : partner(s, true)));
                    long[] v = s.clone();
                    int form = s.length == 0 ? 0 : rnd.nextInt(3);
                    if (form == 1) v = Arrays.copyOf(s, s.length - 1);
                    if (form == 2) v[rnd.nextInt(s.length)] = 1;
                    arg("var", fill(dt, this::nonNegative, v));
                    maybeBool("full");
                    maybe("eps", 1e-6, 0.0, 1e-3, 1.0);
                }
                case "NLLLoss", "CrossEntropyLoss" -> classLoss(d);
                case "MultiLabelSoftMarginLoss" -> {
                    long cl = Math.max(1, d.c());
                    long[] s = switch (d.form() & 3) {
                        case 1 -> new long[] {cl};
                        case 2 -> new long[] {d.n(), 2, cl};
                        default -> new long[] {d.n(), cl};
                    };
                    arg("input", f(s));
                    arg("target", rnd.nextInt(5) < 3 ? fill(dt, this::prob01, s) : f(s));
                    if (rnd.nextInt(5) < 2) c.options.put("weight", f(cl));
                }
                case "MultiLabelMarginLoss" -> {
                    long cl = Math.max(1, d.c());
                    long[] s = switch (d.form() & 3) {
                        case 1 -> new long[] {cl};
                        case 2 -> new long[0];
                        default -> new long[] {d.n(), cl};
                    };
                    if (s.length == 0) cl = 1;
                    classes = cl;
                    minusOneEnds = true;
                    arg("input", f(s));
                    long[] ts = s.length == 0 && rnd.nextBoolean() ? new long[] {1} : s;
                    Tensor t = indexTensor(ts);
                    long rows = t.numel() / cl;
                    for (long r = 0; r < rows; r++) {
                        long labels = rnd.nextLong(cl + 1);
                        for (long j = 0; j < cl; j++) {
                            long v = j < labels ? rnd.nextLong(cl) : j == labels ? -1 : rnd.nextLong(cl + 1) - 1;
                            t.setDouble(r * cl + j, v);
                        }
                    }
                    indexArg = 1;
                    arg("target", t);
                }
                case "MultiMarginLoss" -> {
                    long cl = Math.max(1, d.c());
                    int form = d.form() & 3;
                    long[] s = form == 1 ? new long[] {cl} : form == 2 ? new long[0] : new long[] {d.n(), cl};
                    if (form == 2) cl = 1;
                    long[] ts = s.length < 2 ? (rnd.nextBoolean() ? new long[0] : new long[] {1}) : new long[] {d.n()};
                    classes = cl;
                    arg("input", f(s));
                    Tensor t = indexTensor(ts);
                    for (long i = 0; i < t.numel(); i++) t.setDouble(i, rnd.nextLong(cl));
                    indexArg = 1;
                    arg("target", t);
                    if (rnd.nextBoolean()) c.options.put("p", rnd.nextBoolean() ? (Object) (1 + rnd.nextInt(2)) : (Object) (1.0 + rnd.nextInt(2)));
                    maybe("margin", 1.0, 0.0, 0.5, -1.0, 2.0);
                    if (rnd.nextInt(5) < 2) c.options.put("weight", f(cl));
                }
                case "CosineEmbeddingLoss" -> {
                    long w = d.c();
                    boolean batched = (d.form() & 1) == 0;
                    long[] s = batched ? new long[] {d.n(), w} : new long[] {w};
                    arg("input1", f(s));
                    arg("input2", f(s));
                    long[] ts = batched ? new long[] {d.n()} : new long[0];
                    boolean ints = rnd.nextInt(10) < 3;
                    Tensor t = Tensor.zeros(ints ? DType.I64 : dt, ts);
                    for (long i = 0; i < t.numel(); i++) {
                        t.setDouble(i, rnd.nextInt(7) != 0 ? (rnd.nextBoolean() ? 1 : -1) : pick(0, 2, ints ? -3 : 0.5));
                    }
                    arg("target", t);
                    maybe("margin", 0.0, 0.5, -0.5, 1.0, -1.0, 0.1);
                }
                case "TripletMarginLoss", "TripletMarginWithDistanceLoss" -> {
                    long w = d.c();
                    long[] s = switch (d.form() & 3) {
                        case 0 -> new long[] {d.n(), w};
                        case 1 -> new long[] {w};
                        case 2 -> new long[0];
                        default -> new long[] {d.n(), 2, w};
                    };
                    arg("anchor", f(s));
                    arg("positive", f(s));
                    arg("negative", f(s));
                    maybe("margin", 1.0, 0.5, 2.0, 1e-3, 10.0);
                    maybeBool("swap");
                    if (k.loss().equals("TripletMarginLoss")) {
                        boolean emptyWidth = s.length > 0 && w == 0;
                        if (rnd.nextBoolean()) c.options.put("p", emptyWidth ? pick(1, 2, 3, 0.5) : pick(1, 2, 3, 0.5, Double.POSITIVE_INFINITY, 1.5));
                        maybe("eps", 1e-6, 0.0, 1e-3, 1.0);
                    } else {
                        switch (rnd.nextInt(10)) {
                            case 0, 1, 2, 3 -> {}
                            case 4 -> c.options.put("distance_function", "pairwise_distance");
                            case 5, 6 -> c.options.put("distance_function", "cosine");
                            case 7, 8 -> c.options.put("distance_function", USER_WITH_GRADIENT);
                            default -> {
                                c.options.put("distance_function", USER_NO_GRADIENT);
                                c.expect = FuzzCase.Expect.FORWARD_ONLY;
                            }
                        }
                    }
                }
                case "CTCLoss" -> ctc(d);
                case "AdaptiveLogSoftmaxWithLoss" -> adaptive(d);
                default -> throw new IllegalArgumentException("no fuzz generator for " + k.loss());
            }
        }

        void maybe(String key, double... values) {
            if (rnd.nextBoolean()) c.options.put(key, pick(values));
        }

        void maybeBool(String key) {
            if (rnd.nextBoolean()) c.options.put(key, rnd.nextBoolean());
        }

        void reduction() {
            if (k.loss().equals("AdaptiveLogSoftmaxWithLoss")) return;
            switch (k.reduction() & 3) {
                case 1 -> c.options.put("reduction", "none");
                case 2 -> c.options.put("reduction", "sum");
                case 3 -> c.options.put("reduction", k.loss().equals("KLDivLoss") && rnd.nextBoolean() ? "batchmean" : "mean");
                default -> {}
            }
        }

        void classLoss(Dims d) {
            boolean ce = k.loss().equals("CrossEntropyLoss");
            long cl = Math.max(1, d.c());
            classes = cl;
            long n = d.n();
            long[] in, ts;
            switch (d.form() & 3) {
                case 0 -> {
                    in = new long[] {n, cl};
                    ts = new long[] {n};
                }
                case 1 -> {
                    in = new long[] {cl};
                    // a 1-element 1-D target is one class index, except for CE with C = 1 (then it is a probability target)
                    ts = rnd.nextInt(3) == 0 && !(ce && cl == 1) ? new long[] {1} : new long[0];
                }
                default -> {
                    long[] sp = spatial().length == 0 ? new long[] {2} : spatial();
                    in = concat(new long[] {n, cl}, sp);
                    ts = concat(new long[] {n}, sp);
                }
            }
            arg("input", f(in));
            boolean prob = ce && rnd.nextInt(10) < 3;
            if (rnd.nextBoolean()) {
                long ii = (long) pick(rnd.nextLong(cl), -1, -100, 1000, cl);
                if (!(prob && ii >= 0)) {
                    c.options.put("ignore_index", rnd.nextBoolean() ? (Object) ii : (Object) (int) ii);
                    ignoreIndex = ii;
                }
            }
            if (!c.options.containsKey("ignore_index")) ignoreIndex = -100;
            if (prob) {
                arg("target", rnd.nextBoolean() ? fill(dt, this::prob01, in) : f(in));
            } else {
                Tensor t = indexTensor(ts);
                boolean ignorable = t.dtype() == DType.I64 || ignoreIndex == (int) ignoreIndex;
                for (long i = 0; i < t.numel(); i++) {
                    t.setDouble(i, ignorable && rnd.nextInt(7) == 0 ? ignoreIndex : rnd.nextLong(cl));
                }
                indexArg = 1;
                arg("target", t);
            }
            if (rnd.nextInt(5) < 2) c.options.put("weight", f(cl));
            if (ce) maybe("label_smoothing", 0.0, 0.1, 0.25, 0.5, 1.0);
        }

        void ctc(Dims d) {
            long T = 1 + rnd.nextInt(8);
            long C = 2 + (d.c() % 5);
            int form = d.form() & 3;
            boolean batched = form < 2;
            long N = batched ? Math.max(1, d.n()) : 1;
            blank = rnd.nextBoolean() ? 0 : rnd.nextLong(C);
            if (blank != 0 || rnd.nextBoolean()) c.options.put("blank", blank);
            ctcT = T;
            ctcN = N;
            ctcC = C;
            // log_probs: a log-softmax over C, or raw values (PyTorch does not check normalisation)
            Tensor lp = batched ? f(T, N, C) : f(T, C);
            if (rnd.nextInt(5) < 3) {
                for (long r = 0; r < T * N; r++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (long j = 0; j < C; j++) m = Math.max(m, lp.getDouble(r * C + j));
                    for (long j = 0; j < C; j++) s += Math.exp(lp.getDouble(r * C + j) - m);
                    double lse = m + Math.log(s);
                    for (long j = 0; j < C; j++) lp.setDouble(r * C + j, lp.getDouble(r * C + j) - lse);
                }
            }
            arg("log_probs", lp);
            long[] len = new long[(int) N];
            boolean padded = !forceConcat && (form == 0 || (form == 3 && rnd.nextBoolean()));
            long S = padded ? rnd.nextLong(T + 2) : 0;
            for (int n = 0; n < N; n++) len[n] = padded ? rnd.nextLong(S + 1) : rnd.nextLong(Math.min(T, 4) + 1);
            ctcPadded = padded;
            ctcTargetLengths = len;
            DType td = rnd.nextInt(4) == 0 ? DType.I32 : DType.I64;
            Tensor targets;
            if (padded) {
                targets = Tensor.zeros(td, N, S);
                ctcS = S;
                for (int n = 0; n < N; n++) {
                    for (long j = 0; j < S; j++) {
                        // past target_lengths[n] is padding: any value, even out of range, must be ignored
                        targets.setDouble(n * S + j, j < len[n] ? label() : rnd.nextLong(C + 10) - 5);
                    }
                }
            } else {
                long sum = 0;
                for (long v : len) sum += v;
                targets = Tensor.zeros(td, sum);
                for (long j = 0; j < sum; j++) targets.setDouble(j, label());
            }
            arg("targets", targets);
            Tensor il = lengths(N, batched);
            for (int n = 0; n < N; n++) il.setDouble(n, rnd.nextInt(3) == 0 ? rnd.nextLong(T + 1) : T);
            arg("input_lengths", il);
            Tensor tl = forceConcat ? Tensor.zeros(DType.I64, N) : lengths(N, batched);
            for (int n = 0; n < N; n++) tl.setDouble(n, len[n]);
            arg("target_lengths", tl);
            maybeBool("zero_infinity");
        }

        /** A new valid CTC call with concatenated targets, N >= 3 and int64 target_lengths. */
        void rebuildCtc() {
            Object reduction = c.options.get("reduction");
            c.options.clear();
            if (reduction != null) c.options.put("reduction", reduction);
            args.clear();
            names.clear();
            forceConcat = true;
            Dims d = k.dims();
            ctc(new Dims(Math.max(3, d.n()), d.c(), d.spatial(), 1));
            c.args = args.toArray(Tensor[]::new);
            c.argNames.clear();
            c.argNames.addAll(names);
        }

        long label() {
            long v = rnd.nextLong(ctcC - 1);
            return v >= blank ? v + 1 : v;
        }

        /** Lengths: (N), or () / (1) where N = 1. */
        Tensor lengths(long n, boolean batched) {
            DType t = rnd.nextInt(4) == 0 ? DType.I32 : DType.I64;
            if (n == 1 && (!batched || rnd.nextInt(4) == 0)) return Tensor.zeros(t, rnd.nextBoolean() ? new long[0] : new long[] {1});
            return Tensor.zeros(t, n);
        }

        void adaptive(Dims d) {
            long f = d.c();
            long nClasses = 2 + rnd.nextInt(10);
            int nc = 1 + rnd.nextInt((int) Math.min(3, nClasses - 1));
            // nc distinct cutoffs in [1, nClasses - 1], sorted
            List<Long> pool = new ArrayList<>();
            for (long v = 1; v < nClasses; v++) pool.add(v);
            List<Long> cut = new ArrayList<>();
            for (int i = 0; i < nc; i++) cut.add(pool.remove(rnd.nextInt(pool.size())));
            cut.sort(null);
            double div = rnd.nextBoolean() ? 4.0 : pick(1.0, 2.0, 1.5, 0.5, 3.0, Double.POSITIVE_INFINITY);
            boolean headBias = rnd.nextBoolean();
            c.options.put("in_features", rnd.nextBoolean() ? (Object) f : (Object) (int) f);
            c.options.put("n_classes", nClasses);
            c.options.put("cutoffs", switch (rnd.nextInt(3)) {
                case 0 -> cut;
                case 1 -> cut.stream().mapToLong(Long::longValue).toArray();
                default -> cut.stream().mapToInt(Long::intValue).toArray();
            });
            if (div != 4.0 || rnd.nextBoolean()) c.options.put("div_value", div);
            if (headBias || rnd.nextBoolean()) c.options.put("head_bias", headBias);
            boolean batched = (d.form() & 3) != 1;
            long b = d.n();
            arg("input", batched ? f(b, f) : f(f));
            Tensor t = indexTensor(batched ? new long[] {b} : new long[0]);
            for (long i = 0; i < t.numel(); i++) t.setDouble(i, rnd.nextLong(nClasses));
            classes = nClasses;
            indexArg = 1;
            arg("target", t);
            long head = cut.get(0) + nc;
            arg("head_weight", f(head, f));
            if (headBias) arg("head_bias", f(head));
            for (int i = 0; i < nc; i++) {
                long hsz = (long) Math.floor(f / Math.pow(div, i + 1));
                long osz = (i + 1 < nc ? cut.get(i + 1) : nClasses) - cut.get(i);
                arg("tail_" + i + "_0_weight", f(hsz, f));
                arg("tail_" + i + "_1_weight", f(osz, hsz));
            }
        }

        // -------------------------------------------------------------- mutations with a known outcome

        Tensor[] a() {
            return c.args;
        }

        int anyArg() {
            return rnd.nextInt(c.args.length);
        }

        boolean mutate(Mutation m) {
            Tensor[] a = c.args;
            switch (m) {
                case NULL_ARG -> {
                    int i = anyArg();
                    a[i] = null;
                    c.expectThrows(IllegalArgumentException.class, "null " + names.get(i), names.get(i));
                    return true;
                }
                case ARITY -> {
                    int r = rnd.nextInt(5);
                    c.args = r == 0 ? null : Arrays.copyOf(a, a.length + (r < 3 ? -1 : 1));
                    if (c.args != null && c.args.length > a.length) c.args[a.length] = a[0];
                    c.expectThrows(IllegalArgumentException.class, "arity " + (c.args == null ? "null" : c.args.length),
                            c.argNames.toArray(String[]::new));
                    return true;
                }
                case CLOSED_ARG -> {
                    int i = anyArg();
                    a[i] = closed(a[i]);
                    c.expectThrows(IllegalStateException.class, "closed " + names.get(i), names.get(i));
                    return true;
                }
                case CONFINED_ARG -> {
                    // memory of a confined arena owned by this (the generating) thread; the case runs on another
                    int i = anyArg();
                    Arena arena = Arena.ofConfined();
                    Tensor copy = Tensor.zeros(arena, a[i].dtype(), a[i].shape());
                    MemorySegment.copy(a[i].segment(), 0, copy.segment(), 0, a[i].byteSize());
                    a[i] = copy;
                    c.cleanup.add(arena);
                    c.expectThrows(IllegalStateException.class, names.get(i) + " confined to another thread", names.get(i));
                    return true;
                }
                case CLOSED_OPTION -> {
                    return closedOption();
                }
                case BAD_OPTION -> {
                    return badOption();
                }
                case UNKNOWN_OPTION -> {
                    String key = switch (rnd.nextInt(4)) {
                        case 0 -> "size_average";
                        case 1 -> "reduce";
                        case 2 -> "frobnicate";
                        default -> OPTIONS.keySet().stream().flatMap(l -> OPTIONS.get(l).stream())
                                .filter(o -> !OPTIONS.get(k.loss()).contains(o)).findFirst().orElse("frobnicate");
                    };
                    if (OPTIONS.get(k.loss()).contains(key)) key = "frobnicate";
                    c.options.put(key, 1);
                    c.expectThrows(IllegalArgumentException.class, "unknown option " + key, key);
                    return true;
                }
                case OPTION_TYPE -> {
                    List<String> keys = OPTIONS.get(k.loss());
                    String key = keys.get(rnd.nextInt(keys.size()));
                    Object bad = switch (key) {
                        case "reduction", "distance_function" -> 7;
                        case "full", "log_input", "log_target", "swap", "zero_infinity", "head_bias" -> 1;
                        case "weight", "pos_weight" -> new double[] {1, 2};
                        case "ignore_index", "blank", "in_features", "n_classes" -> 1.5;
                        case "cutoffs" -> rnd.nextBoolean() ? "4,7" : List.of(2.0, 4L);
                        default -> "big";
                    };
                    c.options.put(key, bad);
                    c.expectThrows(IllegalArgumentException.class, "option " + key + " of type " + bad.getClass().getSimpleName(), key);
                    return true;
                }
                case BAD_REDUCTION -> {
                    String r = k.loss().equals("AdaptiveLogSoftmaxWithLoss") ? (rnd.nextBoolean() ? "sum" : "none")
                            : !k.loss().equals("KLDivLoss") && rnd.nextBoolean() ? "batchmean"
                            : (String) new Object[] {"avg", "elementwise_mean", "", "MEAN", "Sum"}[rnd.nextInt(5)];
                    c.options.put("reduction", r);
                    c.expectThrows(IllegalArgumentException.class, "reduction '" + r + "'", "reduction");
                    return true;
                }
                case WRONG_DTYPE -> {
                    List<Integer> cand = new ArrayList<>();
                    for (int i = 0; i < a.length; i++) {
                        if (!(k.loss().equals("CosineEmbeddingLoss") && i == 2)) cand.add(i);
                    }
                    int i = cand.get(rnd.nextInt(cand.size()));
                    DType to = a[i].dtype().isFloating() ? (rnd.nextBoolean() ? DType.I64 : DType.I32)
                            : (rnd.nextBoolean() ? DType.F32 : DType.F64);
                    a[i] = convert(a[i], to);
                    c.expectThrows(IllegalArgumentException.class, names.get(i) + " as " + to, names.get(i));
                    return true;
                }
                case MIXED_FLOAT -> {
                    return mixedFloat();
                }
                case INDEX_OUT_OF_RANGE -> {
                    return indexOutOfRange();
                }
                case BLANK_LABEL -> {
                    if (!k.loss().equals("CTCLoss")) return false;
                    long p = activeCtcPosition();
                    if (p < 0) return false;
                    a[1].setDouble(p, blank);
                    c.expectThrows(IllegalArgumentException.class, "targets[" + p + "] = blank", "targets", "blank");
                    return true;
                }
                case LENGTHS -> {
                    return lengths();
                }
                case DOMAIN -> {
                    return domain();
                }
                case SHAPE_MISMATCH -> {
                    return shapeMismatch();
                }
                case GRAD_OUTPUT -> {
                    gradOutput();
                    return true;
                }
                case OUTPUT_BUFFER -> {
                    outputBuffer();
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        Tensor closed(Tensor t) {
            Arena arena = Arena.ofConfined();
            Tensor copy = Tensor.zeros(arena, t.dtype(), t.shape());
            MemorySegment.copy(t.segment(), 0, copy.segment(), 0, t.byteSize());
            arena.close();
            return copy;
        }

        static Tensor convert(Tensor t, DType to) {
            Tensor c = Tensor.zeros(to, t.shape());
            for (long i = 0; i < t.numel(); i++) {
                double v = t.getDouble(i);
                c.setDouble(i, to.isFloating() ? v : Double.isNaN(v) ? 0 : Math.rint(v));
            }
            return c;
        }

        List<String> tensorOptions() {
            List<String> out = new ArrayList<>();
            for (String key : List.of("weight", "pos_weight")) if (OPTIONS.get(k.loss()).contains(key)) out.add(key);
            return out;
        }

        /** A fresh option tensor that the valid call accepts (weight of C classes, or one that broadcasts to input). */
        Tensor validOptionTensor(String key) {
            return switch (k.loss()) {
                case "BCELoss", "BCEWithLogitsLoss" -> f(partner(c.args[0].shape(), false));
                case "MultiLabelSoftMarginLoss" -> f(c.args[0].size(-1));
                default -> f(classes);
            };
        }

        boolean closedOption() {
            List<String> keys = tensorOptions();
            if (keys.isEmpty()) return false;
            if (k.loss().equals("CrossEntropyLoss") && indexArg < 0) {
                long cl = c.args[0].dim() == 1 ? c.args[0].size(0) : c.args[0].size(1);
                classes = cl;
            }
            String key = keys.get(rnd.nextInt(keys.size()));
            Tensor w = c.options.get(key) instanceof Tensor t ? t : validOptionTensor(key);
            Arena arena = Arena.ofShared();
            Tensor copy = Tensor.zeros(arena, w.dtype(), w.shape());
            MemorySegment.copy(w.segment(), 0, copy.segment(), 0, w.byteSize());
            c.options.put(key, copy);
            boolean keptByReference = k.loss().startsWith("BCE");
            if (rnd.nextBoolean()) {
                arena.close();
                c.expectThrows(IllegalStateException.class, key + " closed before build", key);
            } else if (keptByReference) {
                c.afterBuild = arena::close;
                c.expectThrows(IllegalStateException.class, key + " closed after build", key);
            } else {
                // NLL, CE, MultiMargin, MultiLabelSoftMargin copy their weight: closing it later changes nothing
                c.afterBuild = arena::close;
                c.mutation = key + " closed after build (the loss keeps a copy)";
            }
            return true;
        }

        boolean badOption() {
            String loss = k.loss();
            Object[] pair = switch (loss) {
                case "HuberLoss" -> new Object[] {"delta", pick(0.0, -1.0, Double.NaN, Double.NEGATIVE_INFINITY, -0.0)};
                case "SmoothL1Loss" -> new Object[] {"beta", pick(-1.0, Double.NaN, -1e-300, Double.NEGATIVE_INFINITY)};
                case "HingeEmbeddingLoss", "MarginRankingLoss", "CosineEmbeddingLoss" -> new Object[] {"margin", Double.NaN};
                case "PoissonNLLLoss", "GaussianNLLLoss" ->
                        new Object[] {"eps", pick(-1.0, Double.NaN, Double.POSITIVE_INFINITY, -1e-300)};
                case "CrossEntropyLoss" -> rnd.nextBoolean() ? new Object[] {"label_smoothing", pick(-0.1, 1.5, Double.NaN, 1.0000001)}
                        : badWeight();
                case "NLLLoss", "MultiLabelSoftMarginLoss" -> badWeight();
                case "BCELoss", "BCEWithLogitsLoss" -> badWeight();
                case "MultiMarginLoss" -> switch (rnd.nextInt(3)) {
                    case 0 -> new Object[] {"p", pick(3, 0, 1.5, Double.NaN, -1)};
                    case 1 -> new Object[] {"margin", Double.NaN};
                    default -> badWeight();
                };
                case "TripletMarginLoss" -> switch (rnd.nextInt(3)) {
                    case 0 -> new Object[] {"margin", pick(0.0, -1.0, Double.NaN, -0.0)};
                    case 1 -> new Object[] {"p", Double.NaN};
                    default -> new Object[] {"eps", pick(Double.POSITIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY)};
                };
                case "TripletMarginWithDistanceLoss" -> rnd.nextBoolean()
                        ? new Object[] {"margin", pick(0.0, -1.0, Double.NaN)}
                        : new Object[] {"distance_function", rnd.nextBoolean() ? "manhattan" : (Object) List.of("cosine")};
                case "CTCLoss" -> new Object[] {"blank", rnd.nextBoolean() ? -1 - rnd.nextLong(3) : ctcC + rnd.nextLong(3)};
                case "AdaptiveLogSoftmaxWithLoss" -> badAdaptive();
                default -> null;
            };
            if (pair == null) return false;
            String key = (String) pair[0];
            c.options.put(key, pair[1]);
            c.expectThrows(IllegalArgumentException.class, "option " + key + "=" + FuzzCase.describe(pair[1]), key);
            return true;
        }

        Object[] badWeight() {
            List<String> keys = tensorOptions();
            String key = keys.get(rnd.nextInt(keys.size()));
            Tensor w;
            if (k.loss().startsWith("BCE")) {
                // not broadcastable to input: one more trailing dim of size 2, or an int tensor
                long[] s = c.args[0].shape();
                w = rnd.nextBoolean() ? f(concat(s, new long[] {2})) : Tensor.zeros(DType.I64, s);
            } else {
                long cl = k.loss().equals("MultiLabelSoftMarginLoss") ? c.args[0].size(-1)
                        : c.args[0].dim() == 1 ? c.args[0].size(0) : c.args[0].dim() == 0 ? 1 : c.args[0].size(1);
                w = switch (rnd.nextInt(3)) {
                    case 0 -> f(cl + 1 + rnd.nextInt(2));
                    case 1 -> f(1, cl);
                    default -> Tensor.zeros(DType.I64, cl);
                };
            }
            return new Object[] {key, w};
        }

        Object[] badAdaptive() {
            long nClasses = ((Number) c.options.get("n_classes")).longValue();
            return switch (rnd.nextInt(7)) {
                case 0 -> new Object[] {"cutoffs", List.of()};
                case 1 -> new Object[] {"cutoffs", List.of(Math.max(1, nClasses - 1), 1L)};
                case 2 -> new Object[] {"cutoffs", List.of(0L)};
                case 3 -> new Object[] {"cutoffs", List.of(nClasses)};
                case 4 -> new Object[] {"div_value", pick(0.0, -2.0, Double.NaN, Double.NEGATIVE_INFINITY)};
                case 5 -> new Object[] {"in_features", -1 - rnd.nextInt(3)};
                default -> new Object[] {"n_classes", 1 - rnd.nextInt(3)};
            };
        }

        boolean mixedFloat() {
            Tensor[] a = c.args;
            int first = -1;
            List<Integer> cand = new ArrayList<>();
            for (int i = 0; i < a.length; i++) {
                if (!a[i].dtype().isFloating()) continue;
                if (first < 0) first = i;
                else if (!(k.loss().equals("CosineEmbeddingLoss") && i == 2)) cand.add(i);
            }
            DType other = dt == DType.F32 ? DType.F64 : DType.F32;
            if (!cand.isEmpty()) {
                int i = cand.get(rnd.nextInt(cand.size()));
                a[i] = convert(a[i], other);
                c.expectThrows(IllegalArgumentException.class, names.get(i) + " as " + other, names.get(i), names.get(first));
                return true;
            }
            List<String> keys = tensorOptions();
            if (keys.isEmpty()) return false;
            String key = keys.get(rnd.nextInt(keys.size()));
            if (k.loss().equals("CrossEntropyLoss") && indexArg < 0) classes = c.args[0].dim() == 1 ? c.args[0].size(0) : c.args[0].size(1);
            Tensor w = c.options.get(key) instanceof Tensor t ? t : validOptionTensor(key);
            c.options.put(key, convert(w, other));
            c.expectThrows(IllegalArgumentException.class, key + " as " + other, key);
            return true;
        }

        long activeCtcPosition() {
            List<Long> pos = new ArrayList<>();
            long off = 0;
            for (int n = 0; n < ctcN; n++) {
                for (long j = 0; j < ctcTargetLengths[n]; j++) pos.add(ctcPadded ? n * ctcS + j : off + j);
                off += ctcTargetLengths[n];
            }
            return pos.isEmpty() ? -1 : pos.get(rnd.nextInt(pos.size()));
        }

        boolean indexOutOfRange() {
            Tensor[] a = c.args;
            long p;
            long cl;
            String name;
            if (k.loss().equals("CTCLoss")) {
                p = activeCtcPosition();
                cl = ctcC;
                name = "targets";
            } else {
                if (indexArg < 0 || a[indexArg].numel() == 0) return false;
                p = rnd.nextLong(a[indexArg].numel());
                cl = classes;
                name = "target";
            }
            if (p < 0) return false;
            Tensor t = a[k.loss().equals("CTCLoss") ? 1 : indexArg];
            boolean i32 = t.dtype() == DType.I32;
            long lowest = minusOneEnds ? -1 : 0;
            for (int tries = 0; tries < 20; tries++) {
                long v = switch (rnd.nextInt(8)) {
                    case 0 -> cl;
                    case 1 -> cl + 1 + rnd.nextInt(100);
                    case 2 -> lowest - 1;
                    case 3 -> lowest - 2 - rnd.nextInt(100);
                    case 4 -> i32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
                    case 5 -> i32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
                    case 6 -> -100;
                    default -> 1L << 33;
                };
                if (i32 && v != (int) v) continue;
                if (v == ignoreIndex && !k.loss().equals("CTCLoss")) continue;
                if (v >= lowest && v < cl) continue;
                set(t, p, v);
                c.expectThrows(IndexOutOfBoundsException.class, name + "[" + p + "] = " + v, name);
                return true;
            }
            return false;
        }

        boolean lengths() {
            if (!k.loss().equals("CTCLoss")) return false;
            Tensor[] a = c.args;
            Tensor il = a[2], tl = a[3];
            int n = (int) rnd.nextLong(ctcN);
            boolean i32 = false;
            switch (rnd.nextInt(7)) {
                case 0 -> {
                    long v = pick(1, 2, 1e6) == 1e6 ? Long.MAX_VALUE : ctcT + (long) pick(1, 2);
                    i32 = il.dtype() == DType.I32;
                    set(il, n, i32 && v > Integer.MAX_VALUE ? Integer.MAX_VALUE : v);
                    c.expectThrows(IllegalArgumentException.class, "input_lengths[" + n + "] above T", "input_lengths");
                }
                case 1 -> {
                    set(il, n, il.dtype() == DType.I32 ? (long) pick(-1, Integer.MIN_VALUE) : (long) pick(-1, -5, Long.MIN_VALUE));
                    c.expectThrows(IllegalArgumentException.class, "input_lengths[" + n + "] negative", "input_lengths");
                }
                case 2 -> {
                    set(tl, n, tl.dtype() == DType.I32 ? (long) pick(-1, Integer.MIN_VALUE) : (long) pick(-1, Long.MIN_VALUE));
                    c.expectThrows(IllegalArgumentException.class, "target_lengths[" + n + "] negative", "target_lengths");
                }
                case 3 -> {
                    // padded: beyond S; concatenated: the sum no longer matches the targets
                    long v = ctcPadded ? ctcS + 1 + rnd.nextInt(3) : ctcTargetLengths[n] + 1 + rnd.nextInt(3);
                    if (rnd.nextInt(4) == 0) v = tl.dtype() == DType.I32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
                    set(tl, n, v);
                    c.expectThrows(IllegalArgumentException.class, "target_lengths[" + n + "] too long", "target_lengths", "targets");
                }
                case 4 -> {
                    // target_lengths whose int64 sum wraps around to the number of targets (concatenated form, N >= 3)
                    if (ctcPadded || ctcN < 3 || tl.dtype() != DType.I64) {
                        rebuildCtc();
                        a = c.args;
                        tl = a[3];
                    }
                    long numel = a[1].numel();
                    set(tl, 0, Long.MAX_VALUE);
                    set(tl, 1, Long.MAX_VALUE);
                    set(tl, 2, numel + 2);
                    for (int j = 3; j < ctcN; j++) set(tl, j, 0);
                    c.expectThrows(IllegalArgumentException.class, "target_lengths sum overflows to " + numel, "target_lengths", "targets");
                }
                default -> {
                    return lengthCount();
                }
            }
            return true;
        }

        boolean lengthCount() {
            Tensor[] a = c.args;
            int i = rnd.nextBoolean() ? 2 : 3;
            Tensor t = a[i];
            a[i] = Tensor.zeros(t.dtype(), ctcN + 1 + rnd.nextInt(2));
            c.expectThrows(IllegalArgumentException.class, names.get(i) + " of " + a[i].numel() + " values for N = " + ctcN, names.get(i));
            return true;
        }

        static void set(Tensor t, long i, long v) {
            if (t.dtype() == DType.I32) t.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
            else t.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, v);
        }

        boolean domain() {
            Tensor[] a = c.args;
            int i;
            double v;
            if (k.loss().equals("BCELoss")) {
                i = rnd.nextInt(2);
                double tinyNeg = dt == DType.F32 ? -Float.MIN_VALUE : -Double.MIN_VALUE;
                v = pick(-0.5, 1.5, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, tinyNeg, 1.001, -1e-3);
            } else if (k.loss().equals("GaussianNLLLoss")) {
                i = 2;
                v = pick(-1.0, dt == DType.F32 ? -Float.MIN_VALUE : -Double.MIN_VALUE, Double.NEGATIVE_INFINITY, -1e-3);
            } else {
                return false;
            }
            if (a[i].numel() == 0) return false;
            long p = rnd.nextLong(a[i].numel());
            a[i].setDouble(p, v);
            c.expectThrows(IllegalArgumentException.class, names.get(i) + "[" + p + "] = " + v, names.get(i));
            return true;
        }

        /** Changes one argument's shape so that no shape rule accepts it. */
        boolean shapeMismatch() {
            Tensor[] a = c.args;
            String loss = k.loss();
            String[] all = names.toArray(String[]::new);
            switch (loss) {
                case "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "PoissonNLLLoss", "KLDivLoss", "HingeEmbeddingLoss" -> {
                    // a trailing dim of sizes a != b, neither 1: never broadcasts
                    long[] s = base();
                    long x = (long) pick(0, 2, 3), y = x == 0 ? (long) pick(2, 3) : x + 1 + rnd.nextInt(2);
                    a[0] = f(concat(s, new long[] {x}));
                    a[1] = f(concat(ones(s), new long[] {y}));
                }
                case "GaussianNLLLoss" -> {
                    long[] s = a[0].shape();
                    if (rnd.nextBoolean()) {
                        long[] v = concat(s, new long[] {1, 1});
                        a[0] = f(concat(s, new long[] {3, 4}));
                        a[1] = f(a[0].shape());
                        a[2] = fill(dt, this::nonNegative, v);
                    } else {
                        a[1] = f(concat(s, new long[] {rnd.nextInt(2) == 0 ? 0 : 2}));
                        a[0] = f(concat(s, new long[] {3}));
                        a[2] = fill(dt, this::nonNegative, a[0].shape());
                    }
                }
                case "SoftMarginLoss" -> a[1] = f(concat(new long[] {2 + rnd.nextInt(2)}, a[0].shape()));
                case "MarginRankingLoss" -> {
                    int i = rnd.nextInt(3);
                    a[i] = f(concat(new long[] {2}, a[i].shape()));
                }
                case "BCELoss", "BCEWithLogitsLoss", "MultiLabelSoftMarginLoss" -> {
                    long[] s = a[0].shape();
                    long[] t = s.length > 0 && rnd.nextBoolean() ? Arrays.copyOf(s, s.length) : concat(s, new long[] {1});
                    if (t.length == s.length) t[t.length - 1] += 1;
                    a[1] = loss.equals("BCELoss") ? fill(dt, this::prob01, t) : f(t);
                }
                case "NLLLoss", "CrossEntropyLoss" -> {
                    Tensor in = a[0], t = a[1];
                    if (t.dtype().isFloating()) {
                        // probability target of another shape: read as class indices, which must be integers
                        long[] s = in.shape();
                        s[s.length - 1] += 1;
                        a[1] = f(s);
                    } else if (in.dim() == 1) {
                        a[1] = Tensor.zeros(t.dtype(), 2 + rnd.nextInt(3));
                    } else {
                        long[] s = t.shape();
                        s[rnd.nextInt(s.length)] += 1 + rnd.nextInt(2);
                        a[1] = Tensor.zeros(t.dtype(), s);
                    }
                }
                case "MultiLabelMarginLoss" -> {
                    long[] s = a[1].shape();
                    long[] t = s.length == 0 ? new long[] {2} : s.length == 1 ? new long[] {s[0] + 1} : new long[] {s[0], s[1] + 1};
                    a[1] = Tensor.zeros(a[1].dtype(), t);
                }
                case "MultiMarginLoss" -> a[1] = Tensor.zeros(a[1].dtype(), a[1].numel() + 1 + rnd.nextInt(2));
                case "CosineEmbeddingLoss" -> {
                    if (rnd.nextBoolean()) {
                        long[] s = a[1].shape();
                        s[s.length - 1] += 1;
                        a[1] = f(s);
                    } else {
                        a[2] = Tensor.zeros(a[2].dtype(), a[2].numel() + 1 + rnd.nextInt(2));
                    }
                }
                case "TripletMarginLoss", "TripletMarginWithDistanceLoss" -> {
                    int i = 1 + rnd.nextInt(2);
                    long[] s = a[i].shape();
                    if (s.length == 0) s = new long[] {2};
                    else s[s.length - 1] += 1;
                    a[i] = f(s);
                    all = new String[] {"anchor", "positive", "negative", "x1", "x2"};
                }
                case "CTCLoss" -> {
                    return lengthCount();
                }
                case "AdaptiveLogSoftmaxWithLoss" -> {
                    int i = rnd.nextBoolean() ? 0 : 2 + rnd.nextInt(a.length - 2);
                    long[] s = a[i].shape();
                    s[s.length - 1] += 1;
                    a[i] = f(s);
                }
                default -> {
                    return false;
                }
            }
            c.expectThrows(IllegalArgumentException.class, "shape mismatch", all);
            return true;
        }

        /** A bad upstream gradient for backward: missing (non-scalar output), one element too many, int, or closed. */
        void gradOutput() {
            int kind = rnd.nextInt(4);
            c.mutation = "gradOutput " + new String[] {"missing", "too large", "int64", "closed"}[kind];
            Class<? extends RuntimeException> type = kind == 3 ? IllegalStateException.class : IllegalArgumentException.class;
            c.expectThrows(type, c.mutation, "gradOutput");
            if (c.options.get("distance_function") == USER_NO_GRADIENT) {
                c.expectThrows(UnsupportedOperationException.class, c.mutation + " (distance without gradient)", "distance_function");
            }
            c.badCall = (loss, args, out) -> {
                Tensor go = switch (kind) {
                    case 0 -> out.dim() == 0 ? Tensor.zeros(out.dtype(), out.numel() + 1) : null;
                    case 1 -> Tensor.zeros(out.dtype(), out.numel() + 1);
                    case 2 -> Tensor.zeros(DType.I64, out.shape());
                    default -> closed(Tensor.zeros(out.dtype(), out.shape()));
                };
                loss.backward(go, args);
            };
        }

        /** Bad caller-provided outputs for forwardInto / forwardBackwardInto. */
        void outputBuffer() {
            boolean forwardOnly = c.options.get("distance_function") == USER_NO_GRADIENT;
            int kind = rnd.nextInt(forwardOnly ? 4 : 9);
            String[] what = {"out null", "out too large", "out int64", "out closed", "grads null", "grads of wrong length",
                    "grad of wrong shape", "grad of an argument without gradient", "grad of wrong dtype"};
            c.mutation = what[kind];
            Class<? extends RuntimeException> type = kind == 3 ? IllegalStateException.class : IllegalArgumentException.class;
            Set<String> mention = new LinkedHashSet<>(List.of("out", "grads", "grad"));
            mention.addAll(names);
            c.expectThrows(type, c.mutation, mention.toArray(String[]::new));
            c.badCall = (loss, args, out) -> {
                switch (kind) {
                    case 0 -> loss.forwardInto(null, args);
                    case 1 -> loss.forwardInto(Tensor.zeros(out.dtype(), out.numel() + 1), args);
                    case 2 -> loss.forwardInto(Tensor.zeros(DType.I64, out.shape()), args);
                    case 3 -> loss.forwardInto(closed(Tensor.zeros(out.dtype(), out.shape())), args);
                    default -> {
                        Tensor go = out.dim() == 0 ? null : Tensor.zeros(out.dtype(), out.shape());
                        List<String> argNames = loss.argumentNames();
                        Tensor[] grads = new Tensor[argNames.size()];
                        int diff = -1, nonDiff = -1;
                        for (int i = 0; i < grads.length; i++) {
                            boolean d = loss.differentiableArguments().contains(argNames.get(i));
                            if (d && args[i].dtype().isFloating() && diff < 0) diff = i;
                            if ((!d || !args[i].dtype().isFloating()) && nonDiff < 0) nonDiff = i;
                        }
                        switch (kind) {
                            case 4 -> grads = null;
                            case 5 -> grads = new Tensor[grads.length + 1];
                            case 6 -> grads[diff] = Tensor.zeros(args[diff].dtype(), args[diff].numel() + 1);
                            case 7 -> {
                                if (nonDiff >= 0) grads[nonDiff] = Tensor.zeros(args[nonDiff].dtype(), args[nonDiff].shape());
                                else grads = new Tensor[grads.length - 1];
                            }
                            default -> grads[diff] = Tensor.zeros(args[diff].dtype() == DType.F32 ? DType.F64 : DType.F32,
                                    args[diff].shape());
                        }
                        loss.forwardBackwardInto(null, grads, go, args);
                    }
                }
            };
        }

        // -------------------------------------------------------------- random breakage

        /** One to three random changes to a valid call; any documented outcome is acceptable. */
        void wild() {
            c.expect = FuzzCase.Expect.EITHER;
            c.mutation = "wild:";
            int changes = 1 + rnd.nextInt(3);
            for (int j = 0; j < changes; j++) {
                Tensor[] a = c.args;
                int i = rnd.nextInt(a.length);
                switch (rnd.nextInt(9)) {
                    case 0 -> {
                        long[] s = new long[rnd.nextInt(4)];
                        for (int d = 0; d < s.length; d++) s[d] = rnd.nextInt(5);
                        a[i] = a[i].dtype().isFloating() ? fill(a[i].dtype(), this::free, s) : Tensor.zeros(a[i].dtype(), s);
                        c.mutation += " shape of " + names.get(i) + " " + Arrays.toString(s) + ";";
                    }
                    case 1 -> {
                        DType to = DType.values()[rnd.nextInt(DType.values().length)];
                        a[i] = convert(a[i], to);
                        c.mutation += " " + names.get(i) + " as " + to + ";";
                    }
                    case 2 -> {
                        if (!a[i].dtype().isFloating() && a[i].numel() > 0) {
                            long p = rnd.nextLong(a[i].numel());
                            long v = (long) pick(-3, -2, -1, 0, 1, 5, 100, -100, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE,
                                    Integer.MIN_VALUE, 1L << 40);
                            set(a[i], p, v);
                            c.mutation += " " + names.get(i) + "[" + p + "]=" + v + ";";
                        } else if (a[i].numel() > 0) {
                            long p = rnd.nextLong(a[i].numel());
                            double v = pick(Double.NaN, -1, 2, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -0.0, 1e300, -1e-310);
                            a[i].setDouble(p, v);
                            c.mutation += " " + names.get(i) + "[" + p + "]=" + v + ";";
                        }
                    }
                    case 3 -> {
                        List<String> keys = OPTIONS.get(k.loss());
                        String key = keys.get(rnd.nextInt(keys.size()));
                        Object v = wildOption(key);
                        c.options.put(key, v);
                        c.mutation += " " + key + "=" + FuzzCase.describe(v) + ";";
                    }
                    case 4 -> {
                        if (!c.options.isEmpty()) {
                            String key = new ArrayList<>(c.options.keySet()).get(rnd.nextInt(c.options.size()));
                            c.options.remove(key);
                            c.mutation += " no " + key + ";";
                        }
                    }
                    case 5 -> {
                        int i2 = rnd.nextInt(a.length);
                        Tensor t = a[i];
                        a[i] = a[i2];
                        a[i2] = t;
                        c.mutation += " swap " + names.get(i) + "," + names.get(i2) + ";";
                    }
                    case 6 -> {
                        // an extra leading or trailing dimension, or one dimension less
                        long[] s = a[i].shape();
                        long[] t = rnd.nextBoolean() && s.length > 0 ? Arrays.copyOf(s, s.length - 1)
                                : rnd.nextBoolean() ? concat(new long[] {rnd.nextInt(3)}, s) : concat(s, new long[] {rnd.nextInt(3)});
                        a[i] = a[i].dtype().isFloating() ? fill(a[i].dtype(), this::free, t) : Tensor.zeros(a[i].dtype(), t);
                        c.mutation += " " + names.get(i) + " reshaped " + Arrays.toString(t) + ";";
                    }
                    case 7 -> {
                        if (a[i].dtype().isFloating()) {
                            for (long p = 0; p < a[i].numel(); p++) a[i].setDouble(p, pick(Double.NaN, Double.POSITIVE_INFINITY,
                                    Double.NEGATIVE_INFINITY, -0.0, denormal(), 1e38, -1e38, 0));
                            c.mutation += " specials in " + names.get(i) + ";";
                        }
                    }
                    default -> {
                        String r = (String) new Object[] {"none", "mean", "sum", "batchmean", "avg"}[rnd.nextInt(5)];
                        c.options.put("reduction", r);
                        c.mutation += " reduction=" + r + ";";
                    }
                }
            }
        }

        Object wildOption(String key) {
            return switch (key) {
                case "reduction" -> pick(0, 1, 2, 3) == 0 ? "batchmean" : "sum";
                case "full", "log_input", "log_target", "swap", "zero_infinity", "head_bias" -> rnd.nextBoolean();
                case "weight", "pos_weight" -> {
                    long[] s = new long[rnd.nextInt(3)];
                    for (int d = 0; d < s.length; d++) s[d] = rnd.nextInt(5);
                    yield fill(rnd.nextInt(4) == 0 ? (dt == DType.F32 ? DType.F64 : DType.F32) : dt, this::free, s);
                }
                case "ignore_index", "blank" -> (long) pick(-1, 0, 1, 2, 3, 100, -100, Long.MIN_VALUE, Long.MAX_VALUE);
                case "in_features" -> (long) pick(0, 1, 3, 8, -1);
                case "n_classes" -> (long) pick(1, 2, 3, 5, 1000, 0);
                case "cutoffs" -> List.of((long) pick(1, 2, 3), (long) pick(2, 3, 4, 9));
                case "distance_function" -> rnd.nextBoolean() ? USER_WITH_GRADIENT : "cosine";
                case "p" -> pick(1, 2, 3, 0, -1, 0.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN);
                case "div_value" -> pick(1e-300, Double.MIN_VALUE, 1e-3, 0.5, 1, 1e300, Double.POSITIVE_INFINITY);
                default -> pick(0, -0.0, 1, -1, 1e-300, 1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                        Double.MIN_VALUE);
            };
        }

        // -------------------------------------------------------------- memory kinds

        void relocate() {
            if (c.args == null) return;
            c.nativeArgs = c.args.clone();
            if (k.memory() == MemoryKind.NATIVE) return;
            for (int i = 0; i < c.args.length; i++) c.args[i] = moved(c.args[i]);
            for (Map.Entry<String, Object> e : c.options.entrySet()) {
                if (e.getValue() instanceof Tensor t && t.isAlive() && t.segment().isNative() && c.afterBuild == null) {
                    e.setValue(moved(t));
                }
            }
        }

        Tensor moved(Tensor t) {
            if (t == null || !t.isAlive()) return t;
            if (c.cleanup.stream().anyMatch(arena -> arena.scope().equals(t.segment().scope()))) return t;
            long bytes = t.byteSize();
            int n = Math.toIntExact(t.numel());
            MemorySegment seg = switch (k.memory()) {
                case HEAP_TYPED -> switch (t.dtype()) {
                    case F32 -> MemorySegment.ofArray(new float[n]);
                    case F64 -> MemorySegment.ofArray(new double[n]);
                    case I64 -> MemorySegment.ofArray(new long[n]);
                    case BF16 -> MemorySegment.ofArray(new short[n]);
                    case I32 -> MemorySegment.ofArray(new int[n]);
                };
                case HEAP_BYTES -> MemorySegment.ofArray(new byte[(int) bytes]);
                case MISALIGNED -> Arena.ofAuto().allocate(bytes + 8, 1).asSlice(1 + rnd.nextInt(7), bytes);
                case OVERSIZED -> Arena.ofAuto().allocate(bytes + 8 + rnd.nextInt(64), 8);
                default -> null;
            };
            if (seg == null) return t;
            MemorySegment.copy(t.segment(), 0, seg, 0, bytes);
            return Tensor.wrap(seg, t.dtype(), t.shape());
        }
    }
}

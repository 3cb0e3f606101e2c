package org.loss4j.bench;

import static org.loss4j.bench.Workload.bits;
import static org.loss4j.bench.Workload.constant;
import static org.loss4j.bench.Workload.ints;
import static org.loss4j.bench.Workload.multiLabels;
import static org.loss4j.bench.Workload.shape;
import static org.loss4j.bench.Workload.signs;
import static org.loss4j.bench.Workload.softmaxRows;
import static org.loss4j.bench.Workload.text;
import static org.loss4j.bench.Workload.uniform;
import static org.loss4j.bench.Workload.zipfClasses;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.bench.Workload.Arg;
import org.loss4j.bench.Workload.Fill;

/**
 * The workloads of every loss at {@code small}, {@code medium} and {@code large}: at least the ones of issue 5's
 * table (mse 1e3/1e6/1.6e7, cross_entropy (8,10)/(4,128000)/(32,32000), kl_div (64,32000), bce_with_logits 1e6,
 * CTC (200,32,30,60)). Gradients are asked for the arguments a training step differentiates (the prediction; both
 * inputs of the pair losses; mean and variance of GaussianNLLLoss; input and weights of AdaptiveLogSoftmaxWithLoss).
 */
public final class Workloads {

    private Workloads() {}

    public static final List<String> SIZES = List.of("small", "medium", "large");

    /** Element-wise losses over a 1-D tensor of n elements. */
    static final List<String> POINTWISE = List.of("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "SoftMarginLoss",
            "BCELoss", "BCEWithLogitsLoss", "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss",
            "KLDivLoss");
    /** Losses over (N, C) scores. */
    static final List<String> CLASS = List.of("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss",
            "MultiLabelMarginLoss");
    /** Losses over (N, D) embeddings. */
    static final List<String> EMBEDDING = List.of("CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss");

    /** The workload of {@code loss} at {@code size}. */
    public static Workload get(String loss, String size) {
        int s = SIZES.indexOf(size);
        if (s < 0) throw new IllegalArgumentException("size must be one of " + SIZES + ", got '" + size + "'");
        if (loss.equals("KLDivLoss")) return klDiv(s);
        if (POINTWISE.contains(loss)) return pointwise(loss, size, new long[] {1_000, 1_000_000, 16_000_000}[s]);
        if (CLASS.contains(loss)) {
            long[][] nc = {{8, 10}, {4, 128_000}, {32, 32_000}};
            return classes(loss, size, nc[s][0], nc[s][1]);
        }
        if (EMBEDDING.contains(loss)) {
            long[][] nd = {{8, 16}, {256, 512}, {4096, 1024}};
            return embedding(loss, size, nd[s][0], nd[s][1]);
        }
        if (loss.equals("CTCLoss")) {
            long[][] tncs = {{50, 1, 20, 10}, {200, 32, 30, 60}, {500, 64, 80, 150}};
            return ctc(size, tncs[s][0], tncs[s][1], tncs[s][2], tncs[s][3]);
        }
        if (loss.equals("AdaptiveLogSoftmaxWithLoss")) {
            return switch (s) {
                case 0 -> adaptive(size, 32, 16, 100, 20, 60);
                case 1 -> adaptive(size, 128, 256, 32_000, 2_000, 10_000);
                default -> adaptive(size, 256, 512, 64_000, 4_000, 20_000);
            };
        }
        throw new IllegalArgumentException("no workload for loss '" + loss + "'");
    }

    /** Every loss with a workload (the 22 of PyTorch), in the order of {@code Losses.NAMES}. */
    public static List<String> losses() {
        return org.loss4j.loss.Losses.NAMES;
    }

    private static Arg in(String name, Fill f, boolean grad, long... shape) {
        return new Arg(name, false, shape, f, grad);
    }

    private static Arg index(String name, Fill f, long... shape) {
        return new Arg(name, true, shape, f, false);
    }

    private static Workload pointwise(String loss, String size, long n) {
        long[] sh = shape(n);
        Map<String, Object> opt = Map.of();
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
        return new Workload(loss, size, "(" + n + ")", opt, "mean", a);
    }

    private static Workload klDiv(int s) {
        long[][] nc = {{8, 125}, {64, 32_000}, {500, 32_000}};
        long[] sh = shape(nc[s][0], nc[s][1]);
        return new Workload("KLDivLoss", SIZES.get(s), text(sh), Map.of(), "batchmean",
                List.of(in("input", softmaxRows(true), true, sh), in("target", softmaxRows(false), false, sh)));
    }

    private static Workload classes(String loss, String size, long n, long c) {
        long[] sh = shape(n, c);
        List<Arg> a = switch (loss) {
            case "CrossEntropyLoss" -> List.of(in("input", uniform(-3, 3), true, sh), index("target", ints(0, c), n));
            case "NLLLoss" -> List.of(in("input", softmaxRows(true), true, sh), index("target", ints(0, c), n));
            case "MultiMarginLoss" -> List.of(in("input", uniform(-1, 1), true, sh), index("target", ints(0, c), n));
            case "MultiLabelSoftMarginLoss" -> List.of(in("input", uniform(-3, 3), true, sh), in("target", bits(), false, sh));
            case "MultiLabelMarginLoss" -> List.of(in("input", uniform(-1, 1), true, sh), index("target", multiLabels(4), sh));
            default -> throw new IllegalArgumentException(loss);
        };
        return new Workload(loss, size, text(sh), Map.of(), "mean", a);
    }

    private static Workload embedding(String loss, String size, long n, long d) {
        long[] sh = shape(n, d);
        List<Arg> a = switch (loss) {
            case "CosineEmbeddingLoss" -> List.of(in("input1", uniform(-1, 1), true, sh), in("input2", uniform(-1, 1), true, sh),
                    in("target", signs(), false, n));
            case "TripletMarginLoss", "TripletMarginWithDistanceLoss" -> List.of(in("anchor", uniform(-1, 1), true, sh),
                    in("positive", uniform(-1, 1), true, sh), in("negative", uniform(-1, 1), true, sh));
            default -> throw new IllegalArgumentException(loss);
        };
        return new Workload(loss, size, text(sh), Map.of(), "mean", a);
    }

    /** CTC: log_probs (T, N, C) from a log_softmax, padded targets (N, S) without blank (0), full lengths. */
    private static Workload ctc(String size, long t, long n, long c, long s) {
        List<Arg> a = List.of(in("log_probs", softmaxRows(true), true, t, n, c), index("targets", ints(1, c), n, s),
                index("input_lengths", constant(t), n), index("target_lengths", constant(s), n));
        return new Workload("CTCLoss", size, "T=" + t + " N=" + n + " C=" + c + " S=" + s, Map.of(), "mean", a);
    }

    /** AdaptiveLogSoftmaxWithLoss with PyTorch's default div_value 4 and no head bias; weights like nn.Linear's init. */
    private static Workload adaptive(String size, long n, long in, long classes, long... cutoffs) {
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("in_features", in);
        opt.put("n_classes", classes);
        List<Long> cut = new ArrayList<>();
        for (long c : cutoffs) cut.add(c);
        opt.put("cutoffs", cut);
        double bound = 1 / Math.sqrt(in);
        List<Arg> a = new ArrayList<>();
        a.add(in("input", uniform(-1, 1), true, n, in));
        a.add(index("target", zipfClasses(classes), n));
        a.add(in("head_weight", uniform(-bound, bound), true, cutoffs[0] + cutoffs.length, in));
        for (int i = 0; i < cutoffs.length; i++) {
            long hsz = (long) Math.floor(in / Math.pow(4.0, i + 1));
            long osz = (i + 1 < cutoffs.length ? cutoffs[i + 1] : classes) - cutoffs[i];
            a.add(in("tail_" + i + "_0_weight", uniform(-bound, bound), true, hsz, in));
            a.add(in("tail_" + i + "_1_weight", uniform(-1 / Math.sqrt(hsz), 1 / Math.sqrt(hsz)), true, osz, hsz));
        }
        StringBuilder sb = new StringBuilder("N=" + n + " in=" + in + " classes=" + classes + " cutoffs=" + cut);
        return new Workload("AdaptiveLogSoftmaxWithLoss", size, sb.toString(), opt, "mean", a);
    }
}

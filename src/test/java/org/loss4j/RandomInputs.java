package org.loss4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Valid random arguments for every loss at a given size, for comparing backends with each other (no PyTorch
 * needed: the expected values come from the Java backend, which the vectors pin to PyTorch). {@code n} is about the
 * number of input elements.
 */
final class RandomInputs {

    /** A loss, its PyTorch options, and its arguments. */
    record Sample(String loss, Map<String, Object> options, Tensor[] args) {
        @Override
        public String toString() {
            return loss + options;
        }
    }

    private final SplittableRandom rnd;
    private final DType dt;

    RandomInputs(long seed, DType dt) {
        this.rnd = new SplittableRandom(seed);
        this.dt = dt;
    }

    Tensor normal(long... shape) {
        Tensor t = Tensor.zeros(dt, shape);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, gaussian());
        return t;
    }

    Tensor uniform(double lo, double hi, long... shape) {
        Tensor t = Tensor.zeros(dt, shape);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, lo + (hi - lo) * rnd.nextDouble());
        return t;
    }

    Tensor signs(long... shape) {
        Tensor t = Tensor.zeros(dt, shape);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, rnd.nextBoolean() ? 1 : -1);
        return t;
    }

    Tensor classes(long c, long... shape) {
        Tensor t = Tensor.zeros(DType.I64, shape);
        for (long i = 0; i < t.numel(); i++) t.setDouble(i, rnd.nextLong(c));
        return t;
    }

    private double gaussian() {
        double u = rnd.nextDouble(1e-300, 1), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Arguments for {@code loss} with about {@code n} input elements. */
    Sample sample(String loss, long n, String reduction) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("reduction", reduction);
        long c = Math.min(n, 13);
        long rows = Math.max(1, n / c);
        Tensor[] a = switch (loss) {
            case "L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss" -> new Tensor[] {normal(n), normal(n)};
            case "SoftMarginLoss" -> new Tensor[] {normal(n), signs(n)};
            case "HingeEmbeddingLoss" -> new Tensor[] {normal(n), signs(n)};
            case "MarginRankingLoss" -> new Tensor[] {normal(n), normal(n), signs(n)};
            case "BCELoss" -> new Tensor[] {uniform(0.01, 0.99, n), uniform(0, 1, n)};
            case "BCEWithLogitsLoss" -> new Tensor[] {normal(n), uniform(0, 1, n)};
            case "KLDivLoss" -> new Tensor[] {uniform(-3, 0, n), uniform(0, 1, n)};
            case "PoissonNLLLoss" -> new Tensor[] {normal(n), uniform(0, 4, n)};
            case "GaussianNLLLoss" -> new Tensor[] {normal(n), normal(n), uniform(0.1, 2, n)};
            case "NLLLoss" -> new Tensor[] {uniform(-5, 0, rows, c), classes(c, rows)};
            case "CrossEntropyLoss" -> new Tensor[] {normal(rows, c), classes(c, rows)};
            case "MultiMarginLoss" -> new Tensor[] {normal(rows, c), classes(c, rows)};
            case "MultiLabelSoftMarginLoss" -> new Tensor[] {normal(rows, c), uniform(0, 1, rows, c)};
            case "MultiLabelMarginLoss" -> {
                Tensor t = Tensor.zeros(DType.I64, rows, c);
                for (long r = 0; r < rows; r++) {
                    long k = rnd.nextLong(c + 1);
                    for (long j = 0; j < c; j++) t.setDouble(r * c + j, j < k ? rnd.nextLong(c) : -1);
                }
                yield new Tensor[] {normal(rows, c), t};
            }
            case "CosineEmbeddingLoss" -> new Tensor[] {normal(rows, c), normal(rows, c), signs(rows)};
            case "TripletMarginLoss", "TripletMarginWithDistanceLoss" -> new Tensor[] {normal(rows, c), normal(rows, c), normal(rows, c)};
            case "CTCLoss" -> {
                long t = Math.min(Math.max(n, 4), 4000), batch = 2, classes = 5, s = Math.min(3, t / 2);
                Tensor logits = normal(t, batch, classes);
                Tensor lp = Tensor.zeros(dt, t, batch, classes);
                for (long i = 0; i < t * batch; i++) {
                    double m = Double.NEGATIVE_INFINITY, sum = 0;
                    for (long k = 0; k < classes; k++) m = Math.max(m, logits.getDouble(i * classes + k));
                    for (long k = 0; k < classes; k++) sum += Math.exp(logits.getDouble(i * classes + k) - m);
                    for (long k = 0; k < classes; k++) lp.setDouble(i * classes + k, logits.getDouble(i * classes + k) - m - Math.log(sum));
                }
                Tensor targets = Tensor.zeros(DType.I64, batch, s);
                for (long i = 0; i < batch * s; i++) targets.setDouble(i, 1 + rnd.nextLong(classes - 1));
                yield new Tensor[] {lp, targets, Tensor.of(new long[] {t, t - 1}), Tensor.of(new long[] {s, Math.max(0, s - 1)})};
            }
            case "AdaptiveLogSoftmaxWithLoss" -> {
                long in = 16, classes = 20; // head: 5 + 2 clusters; hidden sizes 16 // 4 = 4 and 16 // 16 = 1
                o.remove("reduction");
                o.put("in_features", in);
                o.put("n_classes", classes);
                o.put("cutoffs", java.util.List.of(5L, 10L));
                long batch = Math.max(1, n / in);
                yield new Tensor[] {normal(batch, in), classes(classes, batch), normal(5 + 2, in),
                        normal(in / 4, in), normal(5, in / 4), normal(in / 16, in), normal(10, in / 16)};
            }
            default -> throw new IllegalArgumentException("no random inputs for " + loss);
        };
        return new Sample(loss, o, a);
    }
}

package org.loss4j.internal.java;

import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.MarginOps;

/**
 * Pure-Java margin kernels, one row at a time, in double. Hinge arguments whose sign decides a kink are computed
 * in float32 arithmetic for float32 tensors, in PyTorch's order of operations, so that exact kinks fall on the same
 * side as in PyTorch.
 */
final class JavaMarginOps implements MarginOps {

    @Override
    public String servedBy() {
        return "java";
    }

    private static double upstream(Tensor gradRows, double gradScale, long n) {
        return gradRows != null ? gradRows.getDouble(n) : gradScale;
    }

    /** {@code margin - xy + xi} in the tensor's precision (PyTorch: {@code margin - input_target + input_data[d]}). */
    private static double hingeArg(boolean single, double margin, double xy, double xi) {
        if (single) {
            float z = (float) margin - (float) xy + (float) xi;
            return z;
        }
        return margin - xy + xi;
    }

    // ------------------------------------------------------------------ MultiMarginLoss

    @Override
    public double multiMargin(Tensor input, Tensor target, Tensor weight, int p, double margin, Tensor outRows) {
        long rows = input.size(0);
        long classes = input.size(1);
        boolean single = input.dtype() == DType.F32;
        double total = 0;
        for (long n = 0; n < rows; n++) {
            long base = n * classes;
            long y = target.getLong(n);
            double xy = input.getDouble(base + y);
            double w = weight == null ? 1 : weight.getDouble(y);
            double s = 0;
            for (long i = 0; i < classes; i++) {
                if (i == y) continue;
                double z = hingeArg(single, margin, xy, input.getDouble(base + i));
                if (z > 0) s += (p == 1 ? z : z * z) * w;
            }
            double row = s / classes;
            if (single) row = (float) row;
            if (outRows != null) outRows.setDouble(n, row);
            total += row;
        }
        return total;
    }

    @Override
    public void multiMarginBackward(Tensor input, Tensor target, Tensor weight, int p, double margin,
                                    Tensor gradRows, double gradScale, Tensor gradInput) {
        long rows = input.size(0);
        long classes = input.size(1);
        boolean single = input.dtype() == DType.F32;
        for (long n = 0; n < rows; n++) {
            long base = n * classes;
            long y = target.getLong(n);
            double xy = input.getDouble(base + y);
            double w = weight == null ? 1 : weight.getDouble(y);
            double g = upstream(gradRows, gradScale, n) * w / classes;
            double gy = 0;
            for (long i = 0; i < classes; i++) {
                if (i == y) continue;
                double z = hingeArg(single, margin, xy, input.getDouble(base + i));
                double h = z > 0 ? (p == 1 ? g : 2 * z * g) : 0;
                gy -= h;
                gradInput.setDouble(base + i, h);
            }
            gradInput.setDouble(base + y, gy);
        }
    }

    // ------------------------------------------------------------------ MultiLabelMarginLoss

    /** Marks the labels of row {@code n} (up to the first negative entry); returns how many there are. */
    private static int labels(Tensor target, long base, int classes, boolean[] isLabel) {
        int k = 0;
        while (k < classes) {
            long t = target.getLong(base + k);
            if (t < 0) break;
            isLabel[(int) t] = true;
            k++;
        }
        return k;
    }

    /** Per-thread row scratch for the multi-label kernels (kept between calls; cleared rows in, cleared rows out). */
    private static final class Scratch {
        private boolean[] isLabel = new boolean[0];
        private double[] acc = new double[0];

        boolean[] isLabel(int n) {
            if (isLabel.length < n) isLabel = new boolean[n];
            java.util.Arrays.fill(isLabel, 0, n, false);
            return isLabel;
        }

        double[] acc(int n) {
            if (acc.length < n) acc = new double[n];
            java.util.Arrays.fill(acc, 0, n, 0);
            return acc;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public double multiLabelMargin(Tensor input, Tensor target, Tensor outRows) {
        long rows = input.size(0);
        int classes = Math.toIntExact(input.size(1));
        boolean single = input.dtype() == DType.F32;
        boolean[] isLabel = SCRATCH.get().isLabel(classes);
        double total = 0;
        for (long n = 0; n < rows; n++) {
            long base = n * classes;
            int k = labels(target, base, classes, isLabel);
            double s = 0;
            for (int j = 0; j < k; j++) {
                double xt = input.getDouble(base + target.getLong(base + j));
                for (int i = 0; i < classes; i++) {
                    if (isLabel[i]) continue;
                    double z = hingeArg(single, 1, xt, input.getDouble(base + i));
                    if (z > 0) s += z;
                }
            }
            java.util.Arrays.fill(isLabel, 0, classes, false);
            double row = s / classes;
            if (single) row = (float) row;
            if (outRows != null) outRows.setDouble(n, row);
            total += row;
        }
        return total;
    }

    @Override
    public void multiLabelMarginBackward(Tensor input, Tensor target, Tensor gradRows, double gradScale,
                                         Tensor gradInput) {
        long rows = input.size(0);
        int classes = Math.toIntExact(input.size(1));
        boolean single = input.dtype() == DType.F32;
        Scratch sc = SCRATCH.get();
        boolean[] isLabel = sc.isLabel(classes);
        double[] acc = sc.acc(classes);
        for (long n = 0; n < rows; n++) {
            long base = n * classes;
            double g = upstream(gradRows, gradScale, n) / classes;
            int k = labels(target, base, classes, isLabel);
            for (int j = 0; j < k; j++) {
                int t = (int) target.getLong(base + j);
                double xt = input.getDouble(base + t);
                for (int i = 0; i < classes; i++) {
                    if (isLabel[i]) continue;
                    double z = hingeArg(single, 1, xt, input.getDouble(base + i));
                    if (z > 0) {
                        acc[t] -= g;
                        acc[i] += g;
                    }
                }
            }
            for (int i = 0; i < classes; i++) gradInput.setDouble(base + i, acc[i]);
            java.util.Arrays.fill(isLabel, 0, classes, false);
            java.util.Arrays.fill(acc, 0, classes, 0);
        }
    }

    // ------------------------------------------------------------------ cosine similarity

    private static final ThreadLocal<CosineRow> COSINE_ROW = ThreadLocal.withInitial(CosineRow::new);

    /** Per-row quantities of both cosine forms: the similarity and the scales of its gradient. */
    private static final class CosineRow {
        double cos;
        /** d cos / d x1 = a12 * x2 - b1 * x1; d cos / d x2 = a12 * x1 - b2 * x2. */
        double a12;
        double b1;
        double b2;
    }

    private static void cosineRow(Cosine form, double eps, boolean single, Tensor x1, Tensor x2, long base, long width,
                                  CosineRow r) {
        double q1 = 0;
        double q2 = 0;
        double s = 0;
        for (long k = 0; k < width; k++) {
            double a = x1.getDouble(base + k);
            double b = x2.getDouble(base + k);
            q1 += a * a;
            q2 += b * b;
            s += a * b;
        }
        if (form == Cosine.SQUARED_NORM_EPS) {
            // cosine_embedding_loss: prod_sum / sqrt((|x1|^2 + EPS) * (|x2|^2 + EPS)); in float32 the product of the
            // squared norms overflows to inf (cos 0) as in PyTorch.
            double m1;
            double m2;
            double denom;
            if (single) {
                m1 = (float) ((float) q1 + (float) eps);
                m2 = (float) ((float) q2 + (float) eps);
                denom = Math.sqrt((float) (m1 * m2));
            } else {
                m1 = q1 + eps;
                m2 = q2 + eps;
                denom = Math.sqrt(m1 * m2);
            }
            r.cos = s / denom;
            r.a12 = 1 / denom;
            r.b1 = r.cos / m1;
            r.b2 = r.cos / m2;
        } else {
            // F.cosine_similarity: <x1 / max(|x1|, eps), x2 / max(|x2|, eps)>; the clamp is not differentiated.
            double n1 = Math.sqrt(q1);
            double n2 = Math.sqrt(q2);
            if (single) {
                n1 = (float) n1;
                n2 = (float) n2;
                eps = (float) eps;
            }
            double c1 = Math.max(n1, eps);
            double c2 = Math.max(n2, eps);
            double dot = 0;
            for (long k = 0; k < width; k++) {
                dot += (x1.getDouble(base + k) / c1) * (x2.getDouble(base + k) / c2);
            }
            r.cos = dot;
            r.a12 = 1 / c1 / c2;
            r.b1 = n1 == 0 ? 0 : dot / c1 / n1;
            r.b2 = n2 == 0 ? 0 : dot / c2 / n2;
        }
    }

    @Override
    public void cosineSimilarity(Cosine form, double eps, Tensor x1, Tensor x2, Tensor out) {
        long rows = x1.size(0);
        long width = x1.size(1);
        boolean single = x1.dtype() == DType.F32;
        CosineRow r = COSINE_ROW.get(); // per thread: written before every read
        for (long n = 0; n < rows; n++) {
            cosineRow(form, eps, single, x1, x2, n * width, width, r);
            out.setDouble(n, r.cos);
        }
    }

    @Override
    public void cosineSimilarityBackward(Cosine form, double eps, Tensor x1, Tensor x2, Tensor gradRows,
                                         double gradScale, Tensor grad1, boolean add1, Tensor grad2, boolean add2) {
        long rows = x1.size(0);
        long width = x1.size(1);
        boolean single = x1.dtype() == DType.F32;
        CosineRow r = COSINE_ROW.get(); // per thread: written before every read
        for (long n = 0; n < rows; n++) {
            long base = n * width;
            cosineRow(form, eps, single, x1, x2, base, width, r);
            double g = upstream(gradRows, gradScale, n);
            for (long k = 0; k < width; k++) {
                double a = x1.getDouble(base + k);
                double b = x2.getDouble(base + k);
                if (grad1 != null) {
                    double v = g * (r.a12 * b - r.b1 * a);
                    grad1.setDouble(base + k, add1 ? grad1.getDouble(base + k) + v : v);
                }
                if (grad2 != null) {
                    double v = g * (r.a12 * a - r.b2 * b);
                    grad2.setDouble(base + k, add2 ? grad2.getDouble(base + k) + v : v);
                }
            }
        }
    }

    // ------------------------------------------------------------------ pairwise distance

    /** {@code x1 - x2 + eps} in the tensor's precision (PyTorch: {@code x1 - x2 + eps}). */
    private static double diff(boolean single, double a, double b, double eps) {
        if (single) {
            float d = (float) a - (float) b + (float) eps;
            return d;
        }
        return a - b + eps;
    }

    @Override
    public void pairwiseDistance(double p, double eps, Tensor x1, Tensor x2, Tensor out) {
        long rows = x1.size(0);
        long width = x1.size(1);
        boolean single = x1.dtype() == DType.F32;
        for (long n = 0; n < rows; n++) {
            long base = n * width;
            double acc;
            if (p == Double.POSITIVE_INFINITY) {
                acc = 0;
                for (long k = 0; k < width; k++) acc = Math.max(acc, Math.abs(diff(single, x1.getDouble(base + k), x2.getDouble(base + k), eps)));
            } else if (p == Double.NEGATIVE_INFINITY) {
                acc = Double.POSITIVE_INFINITY;
                for (long k = 0; k < width; k++) acc = Math.min(acc, Math.abs(diff(single, x1.getDouble(base + k), x2.getDouble(base + k), eps)));
            } else {
                double s = 0;
                for (long k = 0; k < width; k++) {
                    double d = Math.abs(diff(single, x1.getDouble(base + k), x2.getDouble(base + k), eps));
                    if (p == 0) s += d != 0 ? 1 : 0;
                    else if (p == 1) s += d;
                    else if (p == 2) s += d * d;
                    else s += Math.pow(d, p);
                }
                if (p == 0 || p == 1) acc = s;
                else if (p == 2) acc = Math.sqrt(s);
                else acc = Math.pow(s, 1 / p);
            }
            out.setDouble(n, acc);
        }
    }

    @Override
    public void pairwiseDistanceBackward(double p, double eps, Tensor x1, Tensor x2, Tensor dist, Tensor gradRows,
                                         double gradScale, Tensor grad1, boolean add1, Tensor grad2, boolean add2) {
        long rows = x1.size(0);
        long width = x1.size(1);
        boolean single = x1.dtype() == DType.F32;
        boolean inf = Double.isInfinite(p);
        for (long n = 0; n < rows; n++) {
            long base = n * width;
            double g = upstream(gradRows, gradScale, n);
            double norm = dist.getDouble(n);
            // PyTorch's norm_backward, case by case
            double scale = 0;
            long ties = 0;
            if (inf) {
                for (long k = 0; k < width; k++) {
                    double a = Math.abs(diff(single, x1.getDouble(base + k), x2.getDouble(base + k), eps));
                    if (a == norm || Double.isNaN(a)) ties++;
                }
                scale = g / ties;
            } else if (p < 1 && p != 0) {
                scale = g * Math.pow(norm, 1 - p);
            } else if (p != 0 && p != 1) {
                scale = norm == 0 ? 0 : g / (p == 2 ? norm : Math.pow(norm, p - 1));
            }
            for (long k = 0; k < width; k++) {
                double d = diff(single, x1.getDouble(base + k), x2.getDouble(base + k), eps);
                double v;
                if (p == 0) {
                    v = 0;
                } else if (p == 1) {
                    v = Math.signum(d) * g;
                } else if (p == 2) {
                    v = d * scale;
                } else if (inf) {
                    double a = Math.abs(d);
                    v = a == norm || Double.isNaN(a) ? Math.signum(d) * scale : 0;
                } else if (p < 1) {
                    v = d == 0 ? 0 : Math.signum(d) * Math.pow(Math.abs(d), p - 1) * scale;
                } else if (p < 2) {
                    v = Math.signum(d) * Math.pow(Math.abs(d), p - 1) * scale;
                } else {
                    v = d * Math.pow(Math.abs(d), p - 2) * scale;
                }
                if (grad1 != null) grad1.setDouble(base + k, add1 ? grad1.getDouble(base + k) + v : v);
                if (grad2 != null) grad2.setDouble(base + k, add2 ? grad2.getDouble(base + k) - v : -v);
            }
        }
    }
}

package org.loss4j.internal.java.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The scalar {@link PairKernels}: always available, and the tail loop of the vector implementation. */
public final class ScalarPairKernels implements PairKernels {

    static final ScalarPairKernels INSTANCE = new ScalarPairKernels();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ScalarPairKernels() {}

    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public double run(int kind, double param, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb,
                      double g, long from, long to) {
        return switch (kind) {
            case SQUARED -> squared(a, b, ga, gb, g, from, to);
            case ABSOLUTE -> absolute(a, b, ga, gb, g, from, to);
            case SMOOTH_L1 -> smoothL1(param, a, b, ga, gb, g, from, to);
            case HUBER -> huber(param, a, b, ga, gb, g, from, to);
            case LOGITS_BCE -> logitsBce(a, b, ga, gb, g, from, to);
            case KL_DIV -> klDiv(a, b, ga, gb, g, from, to);
            default -> throw new IllegalArgumentException("unknown pair kernel " + kind);
        };
    }

    static double squared(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g, long from, long to) {
        double sum = 0;
        double g2 = 2 * g;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float d = x - y;
            sum += d * d;
            if (ga != null || gb != null) {
                float t = (float) (((double) x - (double) y) * g2);
                if (ga != null) ga.setAtIndex(F, i, t);
                if (gb != null) gb.setAtIndex(F, i, -t);
            }
        }
        return sum;
    }

    static double absolute(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g, long from, long to) {
        double sum = 0;
        float gf = (float) g;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float d = x - y;
            sum += Math.abs(d);
            if (ga != null || gb != null) {
                // PyTorch's sgn: 0 at equality and for nan; a float difference is 0 only where the operands are equal
                float t = (d > 0 ? 1f : d < 0 ? -1f : 0f) * gf;
                if (ga != null) ga.setAtIndex(F, i, t);
                if (gb != null) gb.setAtIndex(F, i, -t);
            }
        }
        return sum;
    }

    static double smoothL1(double beta, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                           long from, long to) {
        double sum = 0;
        float betaF = (float) beta;
        double betaD = betaF;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float d = x - y;
            float z = Math.abs(d);
            sum += z < betaF ? 0.5f * z * z / betaF : z - 0.5f * betaF;
            if (ga != null || gb != null) {
                float t = (float) (d <= -betaF ? -g : d >= betaF ? g : d * g / betaD);
                if (ga != null) ga.setAtIndex(F, i, t);
                if (gb != null) gb.setAtIndex(F, i, -t);
            }
        }
        return sum;
    }

    static double huber(double delta, MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g,
                        long from, long to) {
        double sum = 0;
        float deltaF = (float) delta;
        double dg = (double) deltaF * g;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float d = x - y;
            float z = Math.abs(d);
            sum += z < deltaF ? 0.5f * z * z : deltaF * (z - 0.5f * deltaF);
            if (ga != null || gb != null) {
                float t = (float) (d <= -deltaF ? -dg : d >= deltaF ? dg : d * g);
                if (ga != null) ga.setAtIndex(F, i, t);
                if (gb != null) gb.setAtIndex(F, i, -t);
            }
        }
        return sum;
    }

    /** As BCEWithLogitsLoss's term: the value in float arithmetic, the gradient in double. */
    static double logitsBce(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g, long from, long to) {
        double sum = 0;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float ls = Math.min(x, 0f) - (float) Math.log1p((float) Math.exp(-Math.abs(x)));
            sum += (1f - y) * x - ls;
            if (ga != null) ga.setAtIndex(F, i, (float) ((sigmoid(x) - y) * g));
            if (gb != null) gb.setAtIndex(F, i, (float) (-(double) x * g));
        }
        return sum;
    }

    static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** As KLDivLoss's term: {@code xlogy(y, y) - y x} in float arithmetic, the gradient in double (PyTorch's order). */
    static double klDiv(MemorySegment a, MemorySegment b, MemorySegment ga, MemorySegment gb, double g, long from, long to) {
        double sum = 0;
        for (long i = from; i < to; i++) {
            float x = a.getAtIndex(F, i);
            float y = b.getAtIndex(F, i);
            float xl = y == 0 ? 0f : y * (float) Math.log(y);
            sum += xl - y * x;
            if (ga != null) ga.setAtIndex(F, i, (float) (-(double) y * g));
            if (gb != null) {
                double yd = y;
                double logB = y == 0 ? 0 : Math.log(yd);
                gb.setAtIndex(F, i, (float) (g * logB + g * yd / yd - g * x));
            }
        }
        return sum;
    }

    @Override
    public void widenBf16(MemorySegment src, MemorySegment dst, long n) {
        widenBf16(src, dst, 0, n);
    }

    static void widenBf16(MemorySegment src, MemorySegment dst, long from, long to) {
        for (long i = from; i < to; i++) {
            dst.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i,
                    (src.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF) << 16);
        }
    }

    @Override
    public void narrowBf16(MemorySegment src, MemorySegment dst, long n) {
        narrowBf16(src, dst, 0, n);
    }

    static void narrowBf16(MemorySegment src, MemorySegment dst, long from, long to) {
        for (long i = from; i < to; i++) {
            dst.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i,
                    org.loss4j.DType.floatToBf16(src.getAtIndex(F, i)));
        }
    }
}

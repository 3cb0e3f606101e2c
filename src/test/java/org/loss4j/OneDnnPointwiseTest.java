package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.loss4j.internal.onednn.OneDnnRuntime;
import org.loss4j.internal.vectors.Tolerance;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * The oneDNN pointwise chains (MSE, L1, SmoothL1, Huber, MarginRanking, HingeEmbedding terms) against the Java
 * backend: awkward sizes, every reduction, forward and every gradient, exact kinks ({@code x == y},
 * {@code |x - y| == beta}, a hinge exactly at 0) and NaN/inf inputs; a repeated call creates no primitive.
 */
class OneDnnPointwiseTest {

    static final long[] SIZES = {1, 7, 13, 1_000_003};
    static final String[] REDUCTIONS = {"none", "mean", "sum"};

    /** Loss and options of every term the oneDNN group runs natively. */
    static List<Object[]> terms() {
        List<Object[]> t = new ArrayList<>();
        t.add(new Object[] {"MSELoss", Map.of()});
        t.add(new Object[] {"L1Loss", Map.of()});
        t.add(new Object[] {"SmoothL1Loss", Map.of()});
        t.add(new Object[] {"SmoothL1Loss", Map.of("beta", 0.5)});
        t.add(new Object[] {"SmoothL1Loss", Map.of("beta", 0.0)});
        t.add(new Object[] {"SmoothL1Loss", Map.of("beta", 0.3)});
        t.add(new Object[] {"HuberLoss", Map.of()});
        t.add(new Object[] {"HuberLoss", Map.of("delta", 2.5)});
        t.add(new Object[] {"HuberLoss", Map.of("delta", 0.3)});
        t.add(new Object[] {"MarginRankingLoss", Map.of()});
        t.add(new Object[] {"MarginRankingLoss", Map.of("margin", 0.5)});
        t.add(new Object[] {"MarginRankingLoss", Map.of("margin", -0.3)});
        t.add(new Object[] {"HingeEmbeddingLoss", Map.of()});
        t.add(new Object[] {"HingeEmbeddingLoss", Map.of("margin", 0.7)});
        return t;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Object[] t : terms()) {
            for (long n : SIZES) out.add(Arguments.of(t[0], t[1], n));
        }
        return out.stream();
    }

    static Backend onednn;

    @BeforeAll
    static void backend() {
        onednn = Backends.all().stream().filter(b -> b.name().equals("onednn")).findFirst().orElse(null);
        assumeTrue(onednn != null && onednn.isAvailable(), "oneDNN is not available: "
                + (onednn == null ? "no backend" : onednn.unavailableReason()));
    }

    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("cases")
    void matchesJava(String name, Map<String, Object> options, long n) {
        Random random = new Random(n * 31 + name.hashCode() + options.hashCode());
        Tensor[] args = inputs(name, options, n, random, false);
        for (String reduction : REDUCTIONS) {
            compare(name, options, reduction, args, random);
        }
    }

    /** NaN and infinities in every operand (and the upstream gradient): the same NaN/inf pattern as Java. */
    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("cases")
    void nonFiniteInputsMatchJava(String name, Map<String, Object> options, long n) {
        if (n > 1000) return;
        Random random = new Random(n * 17 + name.hashCode());
        Tensor[] args = inputs(name, options, n, random, true);
        for (String reduction : REDUCTIONS) {
            compare(name, options, reduction, args, random);
        }
        // one non-finite value in a large call (the rest finite): the Java redo agrees too
        if (n == 13) {
            Tensor[] big = inputs(name, options, 5000, random, false);
            big[0].setDouble(4321, Double.NEGATIVE_INFINITY);
            for (String reduction : REDUCTIONS) compare(name, options, reduction, big, random);
        }
    }

    /** Finite inputs, an upstream gradient (reduction='none') holding NaN and infinities; a non-finite scalar one. */
    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("cases")
    void nonFiniteUpstreamGradientMatchesJava(String name, Map<String, Object> options, long n) {
        if (n > 1000) return;
        Random random = new Random(n * 7 + name.hashCode());
        Tensor[] args = inputs(name, options, n, random, false);
        Tensor g = Tensor.zeros(DType.F32, n);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f};
        for (int i = 0; i < n; i++) g.setDouble(i, i % 2 == 0 ? special[(i / 2) % special.length] : random.nextGaussian());
        compareBackward(name, options, "none", args, g);
        for (float s : special) compareBackward(name, options, "mean", args, Tensor.of(new float[] {s}).reshape());
    }

    @Test
    void aRepeatedCallCreatesNoPrimitive() {
        List<Object[]> terms = terms();
        for (int k = 0; k < terms.size(); k++) {
            String name = (String) terms.get(k)[0];
            @SuppressWarnings("unchecked")
            Map<String, Object> options = (Map<String, Object>) terms.get(k)[1];
            Random random = new Random(5);
            Tensor[] args = inputs(name, options, 4099 + k, random, false); // a size of its own: its first call builds
            for (String reduction : REDUCTIONS) {
                Loss loss = loss(name, options, reduction, onednn);
                Tensor g = gradOutput(loss, args, random);
                long before = OneDnnRuntime.get().primitivesCreated();
                loss.backward(g, args);
                long first = OneDnnRuntime.get().primitivesCreated();
                loss.backward(g, args);
                loss.forward(args);
                assertEquals(first, OneDnnRuntime.get().primitivesCreated(), name + " " + options + " " + reduction
                        + ": a repeated call created primitives");
                if (reduction.equals("none")) {
                    // the first call at this size was native: it built its chains
                    assertTrue(first > before,
                            name + " " + options + ": expected the oneDNN chains to serve, but no primitive was created");
                }
            }
        }
    }

    @Test
    void explainNamesTheNativeTerms() {
        Tensor x = Tensor.of(new float[] {1, 2, 3});
        String explain = Losses.mse().on(onednn).explain(x, x);
        assertTrue(explain.contains("pointwise=onednn") && explain.contains("squared_error"), explain);
        Tensor d = Tensor.of(new double[] {1, 2, 3});
        assertTrue(Losses.mse().on(onednn).explain(d, d).contains("pointwise=java"), Losses.mse().on(onednn).explain(d, d));
    }

    static Loss loss(String name, Map<String, Object> options, String reduction, Backend backend) {
        Map<String, Object> o = new HashMap<>(options);
        o.put("reduction", reduction);
        return Losses.fromPyTorch(name, o).on(backend);
    }

    static Tensor gradOutput(Loss loss, Tensor[] args, Random random) {
        Tensor out = loss.forward(args);
        if (out.dim() == 0) return Tensor.of(new float[] {0.75f}).reshape();
        Tensor g = Tensor.zeros(DType.F32, out.shape());
        for (long i = 0; i < g.numel(); i++) g.setDouble(i, i % 5 == 0 ? 0 : (float) random.nextGaussian());
        return g;
    }

    static void compare(String name, Map<String, Object> options, String reduction, Tensor[] args, Random random) {
        Loss java = loss(name, options, reduction, Backends.java());
        Loss one = loss(name, options, reduction, onednn);
        String what = name + " " + options + " reduction=" + reduction + " n=" + args[0].numel();
        assertClose(what + " forward", one.forward(args), java.forward(args));
        compareBackward(name, options, reduction, args, gradOutput(java, args, random));
    }

    static void compareBackward(String name, Map<String, Object> options, String reduction, Tensor[] args, Tensor g) {
        Loss java = loss(name, options, reduction, Backends.java());
        Loss one = loss(name, options, reduction, onednn);
        String what = name + " " + options + " reduction=" + reduction + " n=" + args[0].numel();
        LossResult ref = java.backward(g, args);
        LossResult got = one.backward(g, args);
        assertClose(what + " loss", got.loss(), ref.loss());
        assertEquals(ref.gradients().keySet(), got.gradients().keySet(), what);
        for (Map.Entry<String, Tensor> e : ref.gradients().entrySet()) {
            assertClose(what + " grad " + e.getKey(), got.grad(e.getKey()), e.getValue());
        }
    }

    static void assertClose(String what, Tensor actual, Tensor expected) {
        assertEquals(expected.numel(), actual.numel(), what + ": size");
        Tolerance tol = Tolerance.F32;
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i), e = expected.getDouble(i);
            if (!tol.accepts(a, e)) throw new AssertionError(what + ": element " + i + " is " + a + ", Java " + e);
        }
    }

    /**
     * Inputs with exact kinks planted: equal operands, differences of exactly beta/delta (0.5 and 1 are exact), ranking
     * hinges exactly at 0, inputs exactly at the embedding margin, and targets beyond +-1. {@code nonFinite} mixes in
     * NaN and infinities.
     */
    static Tensor[] inputs(String name, Map<String, Object> options, long n, Random random, boolean nonFinite) {
        float[] a = new float[(int) n], b = new float[(int) n], c = new float[(int) n];
        double p = options.containsKey("beta") ? ((Number) options.get("beta")).doubleValue()
                : options.containsKey("delta") ? ((Number) options.get("delta")).doubleValue()
                : options.containsKey("margin") ? ((Number) options.get("margin")).doubleValue()
                : name.equals("HingeEmbeddingLoss") ? 1.0 : 1.0;
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 3.4e38f, -3.4e38f};
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * 2);
            b[i] = (float) (random.nextGaussian() * 2);
            switch (name) {
                case "MarginRankingLoss" -> c[i] = switch (i % 4) {
                    case 0 -> 1f;
                    case 1 -> -1f;
                    case 2 -> (float) random.nextGaussian();
                    default -> random.nextBoolean() ? 1f : -1f;
                };
                case "HingeEmbeddingLoss" -> b[i] = switch (i % 5) {
                    case 0, 1 -> 1f;
                    case 2, 3 -> -1f;
                    default -> random.nextInt(3) - 0.5f;
                };
                default -> { }
            }
            int kink = i % 6;
            float y = Math.round(b[i] * 8) / 8f;
            switch (name) {
                case "MarginRankingLoss" -> {
                    // h = -c (a - b) + margin == 0 exactly for c = +-1 and a - b = c * margin exact
                    if (kink == 1 && Math.abs(c[i]) == 1f && p == Math.rint(p * 8) / 8) {
                        b[i] = y;
                        a[i] = y + c[i] * (float) p;
                    } else if (kink == 2) {
                        a[i] = b[i];
                    }
                }
                case "HingeEmbeddingLoss" -> {
                    if (kink == 1) a[i] = (float) p;
                }
                default -> {
                    if (kink == 1) a[i] = b[i];
                    else if (kink == 2 && p == Math.rint(p * 8) / 8) {
                        b[i] = y;
                        a[i] = y + (float) p;
                    } else if (kink == 3 && p == Math.rint(p * 8) / 8) {
                        b[i] = y;
                        a[i] = y - (float) p;
                    }
                }
            }
            if (nonFinite && random.nextInt(3) == 0) {
                float s = special[random.nextInt(special.length)];
                switch (random.nextInt(name.equals("MarginRankingLoss") ? 3 : 2)) {
                    case 0 -> a[i] = s;
                    case 1 -> b[i] = s;
                    default -> c[i] = s;
                }
            }
        }
        Tensor ta = Tensor.of(a), tb = Tensor.of(b);
        return name.equals("MarginRankingLoss") ? new Tensor[] {ta, tb, Tensor.of(c)} : new Tensor[] {ta, tb};
    }
}

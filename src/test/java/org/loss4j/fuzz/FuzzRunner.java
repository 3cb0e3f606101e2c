package org.loss4j.fuzz;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.Tensor;
import org.loss4j.internal.vectors.Tolerance;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * Runs one {@link FuzzCase} on every CPU backend (on a worker thread, with a time limit: a hang fails the case) and
 * checks it: valid calls succeed with the Java backend's values (forward, every gradient, forward = fused loss, both
 * call styles, heap memory = native memory); broken calls throw exactly the documented exception with a message that
 * names an argument or option; anything else (another exception type, an {@link Error}, a blank message, a result
 * where an exception was due, backends that disagree) fails the case with a description that reproduces it.
 */
final class FuzzRunner {

    private FuzzRunner() {}

    /** The CPU backends present, the Java reference first. */
    static final List<Backend> BACKENDS = cpuBackends();

    /** Seconds one case may take on all backends together before it counts as a hang. */
    static final long TIMEOUT_SECONDS = Long.getLong("loss4j.fuzz.timeoutSeconds", 60);

    /** Cases run per backend, and outcomes, for the summary. */
    static final Map<String, AtomicLong> CASES = new ConcurrentHashMap<>();
    static final Map<String, AtomicLong> OUTCOMES = new ConcurrentHashMap<>();

    private static ExecutorService worker = newWorker();

    private static List<Backend> cpuBackends() {
        List<Backend> out = new ArrayList<>();
        out.add(Backends.java());
        for (Backend b : Backends.available()) {
            if (b != Backends.java() && b.device().isCpu()) out.add(b);
        }
        return List.copyOf(out);
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "loss4j-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    /** Checks one case; throws {@link AssertionError} describing the case if it fails. */
    static synchronized void check(FuzzCase c) {
        Future<String> f = worker.submit(() -> verdict(c));
        String failure;
        try {
            failure = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            throw new AssertionError("hang: no result after " + TIMEOUT_SECONDS + " s\n  case: " + c);
        } catch (ExecutionException e) {
            throw new AssertionError("the fuzz harness failed\n  case: " + c, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            c.cleanup.forEach(java.lang.foreign.Arena::close);
        }
        if (failure != null) throw new AssertionError(failure + "\n  case: " + c);
    }

    // ------------------------------------------------------------------ one case on every backend

    /** What one backend did with the case. */
    record Attempt(Backend backend, Throwable thrown, String stage, Tensor forward, LossResult result, String intoMismatch) {
        boolean ok() {
            return thrown == null;
        }

        String describe() {
            return backend.name() + " " + (thrown == null ? "succeeded" : "threw at " + stage + " "
                    + thrown.getClass().getName() + ": " + thrown.getMessage());
        }
    }

    static String verdict(FuzzCase c) {
        Map<Backend, Loss> losses = new LinkedHashMap<>();
        Map<Backend, Throwable> buildErrors = new LinkedHashMap<>();
        for (Backend b : BACKENDS) {
            try {
                losses.put(b, Losses.fromPyTorch(c.loss, c.options).on(b));
            } catch (Throwable t) {
                buildErrors.put(b, t);
            }
        }
        if (c.afterBuild != null) c.afterBuild.run();
        List<Attempt> attempts = new ArrayList<>();
        for (Backend b : BACKENDS) {
            Throwable e = buildErrors.get(b);
            attempts.add(e != null ? new Attempt(b, e, "build", null, null, null) : run(c, b, losses.get(b), c.args));
            CASES.computeIfAbsent(b.name(), x -> new AtomicLong()).incrementAndGet();
        }
        Attempt ref = attempts.get(0);
        count(c.expect + (ref.ok() ? " ok" : " threw " + ref.thrown().getClass().getSimpleName()));

        for (Attempt a : attempts) {
            if (!a.ok()) {
                String bad = undocumented(c, a);
                if (bad != null) return bad;
            }
        }
        switch (c.expect) {
            case VALID -> {
                for (Attempt a : attempts) {
                    if (!a.ok()) return "a valid call was rejected: " + a.describe();
                }
                String m = compareAll(c, ref, attempts);
                if (m != null) return m;
                if (c.knobs.memory() != FuzzCases.MemoryKind.NATIVE && c.nativeArgs != null) {
                    Attempt nat = run(c, BACKENDS.get(0), losses.get(BACKENDS.get(0)), c.nativeArgs);
                    if (!nat.ok()) return "the same call in native memory was rejected: " + nat.describe();
                    m = compare(c, "java on " + c.knobs.memory() + " memory vs native memory", ref, nat);
                    if (m != null) return m;
                }
            }
            case FORWARD_ONLY -> {
                for (Attempt a : attempts) {
                    if (a.forward() == null) return "forward failed: " + a.describe();
                    if (!(a.thrown() instanceof UnsupportedOperationException) || !a.stage().equals("backward")) {
                        return "a distance function without gradient must give forward only, and backward must throw "
                                + "UnsupportedOperationException: " + a.describe();
                    }
                    String m = tensors(a.backend().name() + " forward", a.forward(), ref.forward());
                    if (m != null) return m;
                }
            }
            case THROWS -> {
                for (Attempt a : attempts) {
                    if (a.ok()) {
                        return "no exception on invalid input (a silent result; expected " + c.expected.getSimpleName()
                                + "): " + a.describe() + (a.forward() == null ? "" : ", forward " + FuzzCase.describe(a.forward()));
                    }
                    if (a.thrown().getClass() != c.expected) {
                        return "expected " + c.expected.getSimpleName() + " but " + a.describe();
                    }
                    if (!mentionsAny(a.thrown().getMessage(), c.mentions)) {
                        return "the message does not name any of " + c.mentions + ": " + a.describe();
                    }
                }
            }
            case EITHER -> {
                for (Attempt a : attempts) {
                    if (a.ok() != ref.ok() || (!a.ok() && a.thrown().getClass() != ref.thrown().getClass())) {
                        return "backends disagree: " + ref.describe() + "; " + a.describe();
                    }
                }
                if (ref.ok()) return compareAll(c, ref, attempts);
            }
        }
        return null;
    }

    private static void count(String outcome) {
        OUTCOMES.computeIfAbsent(outcome, x -> new AtomicLong()).incrementAndGet();
    }

    /** Runs the case's calls on one backend. */
    static Attempt run(FuzzCase c, Backend b, Loss loss, Tensor[] args) {
        String stage = "forward";
        Tensor fwd = null;
        try {
            fwd = loss.forward(args);
            if (c.badCall != null) {
                stage = "the bad call (" + c.mutation + ")";
                c.badCall.run(loss, args, fwd);
                return new Attempt(b, null, stage, fwd, null, null);
            }
            Tensor go = gradOutput(c, fwd);
            stage = "backward";
            LossResult r = loss.backward(go, args);
            String into = null;
            if (c.intoStyles) {
                stage = "forwardInto/forwardBackwardInto";
                into = intoStyles(c, loss, args, fwd, go, r);
            }
            return new Attempt(b, null, "done", fwd, r, into);
        } catch (Throwable t) {
            return new Attempt(b, t, stage, fwd, null, null);
        }
    }

    /** The upstream gradient: a deterministic function of the seed and the output's shape (null: 1, for scalars). */
    static Tensor gradOutput(FuzzCase c, Tensor out) {
        long seed = c.knobs.seed();
        Tensor g;
        if (out.dim() == 0) {
            int r = (int) Math.floorMod(seed, 4L);
            if (r == 0) return null;
            g = Tensor.scalar(out.dtype(), new double[] {1, 0.5, -2, 0}[r]);
        } else {
            g = Tensor.zeros(out.dtype(), out.shape());
            for (long i = 0; i < g.numel(); i++) g.setDouble(i, 1.0 - Math.floorMod(i + seed, 3L) * 0.75);
            if (c.knobs.values() == FuzzCases.ValueKind.SPECIAL && g.numel() > 0) {
                g.setDouble(Math.floorMod(seed, g.numel()), (seed & 1) == 0 ? Double.NaN : Double.POSITIVE_INFINITY);
            }
        }
        return inMemory(c, g);
    }

    /** A copy of {@code t} in the case's memory kind where that is heap memory (outputs and gradOutput too). */
    static Tensor inMemory(FuzzCase c, Tensor t) {
        if (t == null) return null;
        FuzzCases.MemoryKind m = c.knobs.memory();
        if (m != FuzzCases.MemoryKind.HEAP_TYPED && m != FuzzCases.MemoryKind.HEAP_BYTES) return t;
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) t.byteSize()]);
        MemorySegment.copy(t.segment(), 0, seg, 0, t.byteSize());
        return Tensor.wrap(seg, t.dtype(), t.shape());
    }

    /** forwardInto and forwardBackwardInto into caller tensors give forward's and backward's values. */
    static String intoStyles(FuzzCase c, Loss loss, Tensor[] args, Tensor fwd, Tensor go, LossResult r) {
        Tensor out = inMemory(c, Tensor.zeros(fwd.dtype(), fwd.shape()));
        loss.forwardInto(out, args);
        String m = tensors("forwardInto vs forward", out, fwd);
        if (m != null) return m;
        List<String> names = loss.argumentNames();
        Tensor[] grads = new Tensor[names.size()];
        for (int i = 0; i < grads.length; i++) {
            if (r.gradients().containsKey(names.get(i))) grads[i] = inMemory(c, Tensor.zeros(args[i].dtype(), args[i].shape()));
        }
        Tensor out2 = inMemory(c, Tensor.zeros(fwd.dtype(), fwd.shape()));
        loss.forwardBackwardInto(out2, grads, go, args);
        m = tensors("forwardBackwardInto's loss vs backward's", out2, r.loss());
        if (m != null) return m;
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null) continue;
            m = tensors("forwardBackwardInto's gradient of " + names.get(i) + " vs backward's", grads[i], r.grad(names.get(i)));
            if (m != null) return m;
        }
        return null;
    }

    // ------------------------------------------------------------------ comparisons

    static String compareAll(FuzzCase c, Attempt ref, List<Attempt> attempts) {
        for (Attempt a : attempts) {
            String m = compare(c, a.backend().name() + " vs java", ref, a);
            if (m != null) return m;
        }
        return null;
    }

    /**
     * Losses whose values pass through a float32 accumulation on the native backend: oneDNN's matmul
     * (AdaptiveLogSoftmaxWithLoss) and its row sums (MultiLabelSoftMarginLoss's sum over classes), both accumulating
     * in float32 as PyTorch's CPU kernels do. Their error is bounded relative to the sum of |terms|, not to the result:
     * with cancellation an element can differ from the Java backend's double accumulation by more than the
     * element-wise float32 tolerance (seen: 3.9e-6 on a gradient of -0.117 whose terms reach 26; 1.6e-5 relative on a
     * MultiLabelSoftMargin row whose targets are +-1e4). Against another backend these are compared norm-wise (the
     * tolerance's relative part taken of the tensor's largest |value|) on normal data. (Against PyTorch, the vector
     * suite still applies the element-wise tolerance to every backend.)
     */
    private static final Set<String> MATMUL_LOSSES = Set.of("AdaptiveLogSoftmaxWithLoss", "MultiLabelSoftMarginLoss");

    /** {@code a} against the reference: forward, forward = fused loss, every gradient, extras, the into styles. */
    static String compare(FuzzCase c, String what, Attempt ref, Attempt a) {
        if (a.intoMismatch() != null) return a.backend().name() + ": " + a.intoMismatch();
        if (MATMUL_LOSSES.contains(c.loss) && !a.backend().name().equals("java")) {
            // With extreme weights (1e4, 1e30, float max) a float32 product cancels catastrophically: its error is
            // bounded by eps * sum |a_k b_k| (e.g. 10000 * 0.5 terms around a result of 3e-4), which no comparison
            // of the results alone can check. Such cases are compared on the Java backend only (it accumulates in
            // double); the oneDNN matmul is checked against Java on normal data and against PyTorch by the vectors.
            if (c.knobs.values() != FuzzCases.ValueKind.NORMAL) return null;
            NORMWISE.set(Boolean.TRUE);
            try {
                return compareElements(c, what, ref, a);
            } finally {
                NORMWISE.remove();
            }
        }
        return compareElements(c, what, ref, a);
    }

    private static final ThreadLocal<Boolean> NORMWISE = new ThreadLocal<>();

    private static String compareElements(FuzzCase c, String what, Attempt ref, Attempt a) {
        String m = tensors(what + ": forward", a.forward(), ref.forward());
        if (m == null) m = tensors(a.backend().name() + ": forward vs forwardBackward's loss", a.result().loss(), a.forward());
        if (m == null) m = tensors(what + ": forwardBackward's loss", a.result().loss(), ref.result().loss());
        if (m != null) return m;
        if (!a.result().gradients().keySet().equals(ref.result().gradients().keySet())) {
            return what + ": gradients for " + a.result().gradients().keySet() + ", java gives " + ref.result().gradients().keySet();
        }
        for (Map.Entry<String, Tensor> e : ref.result().gradients().entrySet()) {
            m = tensors(what + ": gradient of " + e.getKey(), a.result().grad(e.getKey()), e.getValue());
            if (m != null) return m;
        }
        if (!a.result().extras().keySet().equals(ref.result().extras().keySet())) {
            return what + ": extras " + a.result().extras().keySet() + ", java gives " + ref.result().extras().keySet();
        }
        for (Map.Entry<String, Tensor> e : ref.result().extras().entrySet()) {
            m = tensors(what + ": extra " + e.getKey(), a.result().extras().get(e.getKey()), e.getValue());
            if (m != null) return m;
        }
        return null;
    }

    /** Null if {@code actual} equals {@code expected} within the dtype's tolerance (NaN matches NaN). */
    static String tensors(String what, Tensor actual, Tensor expected) {
        if (actual == null || expected == null) return what + ": missing tensor";
        if (actual.dtype() != expected.dtype() || !Arrays.equals(actual.shape(), expected.shape())) {
            return what + ": " + actual.dtype() + Arrays.toString(actual.shape()) + ", expected " + expected.dtype()
                    + Arrays.toString(expected.shape());
        }
        Tolerance tol = Tolerance.of(expected.dtype());
        // float32 matmul accumulation: norm-wise (see MATMUL_LOSSES); bfloat16 always (see Tolerance.BF16)
        if (Boolean.TRUE.equals(NORMWISE.get()) || expected.dtype() == org.loss4j.DType.BF16) tol = tol.normwise(expected);
        for (long i = 0; i < expected.numel(); i++) {
            double x = actual.getDouble(i), e = expected.getDouble(i);
            if (!tol.accepts(x, e)) return what + ": element " + i + " is " + x + ", expected " + e;
        }
        return null;
    }

    // ------------------------------------------------------------------ what an exception may be

    private static final Set<String> INDEX_LOSSES = Set.of("NLLLoss", "CrossEntropyLoss", "MultiMarginLoss",
            "MultiLabelMarginLoss", "CTCLoss", "AdaptiveLogSoftmaxWithLoss");
    private static final Pattern OUT = Pattern.compile("(^|[^a-z0-9_])out (must|tensor)");

    /** Null if {@code a.thrown} is a documented exception with a message naming an argument or option; else why not. */
    static String undocumented(FuzzCase c, Attempt a) {
        Throwable t = a.thrown();
        Class<?> k = t.getClass();
        String msg = t.getMessage();
        boolean allowed = k == IllegalArgumentException.class || k == IllegalStateException.class
                || (k == IndexOutOfBoundsException.class && INDEX_LOSSES.contains(c.loss))
                || (k == UnsupportedOperationException.class && c.loss.equals("TripletMarginWithDistanceLoss"));
        if (!allowed) return "undocumented exception: " + a.describe() + "\n" + stack(t);
        if (msg == null || msg.isBlank()) return "blank message: " + a.describe() + "\n" + stack(t);
        Set<String> vocabulary = new LinkedHashSet<>(c.argNames);
        vocabulary.addAll(FuzzCases.OPTIONS.get(c.loss));
        vocabulary.addAll(List.of("gradoutput", "grads", "x1", "x2", "distance_function"));
        if (k == IndexOutOfBoundsException.class) vocabulary = Set.of("target", "targets");
        if (k == UnsupportedOperationException.class) vocabulary = Set.of("distance_function");
        if (!mentionsAny(msg, vocabulary) && !OUT.matcher(msg.toLowerCase(Locale.ROOT)).find()) {
            return "the message names no argument or option " + vocabulary + ": " + a.describe() + "\n" + stack(t);
        }
        return null;
    }

    static boolean mentionsAny(String message, Set<String> words) {
        if (message == null) return false;
        String m = message.toLowerCase(Locale.ROOT);
        for (String w : words) {
            String x = w.toLowerCase(Locale.ROOT);
            int i = m.indexOf(x);
            while (i >= 0) {
                boolean before = i == 0 || !wordChar(m.charAt(i - 1));
                boolean after = i + x.length() >= m.length() || !wordChar(m.charAt(i + x.length()));
                if (before && after) return true;
                i = m.indexOf(x, i + 1);
            }
        }
        return false;
    }

    private static boolean wordChar(char ch) {
        return Character.isLetterOrDigit(ch) || ch == '_';
    }

    private static String stack(Throwable t) {
        StringBuilder sb = new StringBuilder();
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(st.length, 12); i++) sb.append("    at ").append(st[i]).append('\n');
        return sb.toString();
    }

    /** One line per backend: cases run; and the outcome counts. */
    static String summary() {
        StringBuilder sb = new StringBuilder("loss4j fuzz: ");
        CASES.forEach((b, n) -> sb.append(n.get()).append(" cases on ").append(b).append("; "));
        sb.append("outcomes ").append(new java.util.TreeMap<>(OUTCOMES));
        return sb.toString();
    }
}

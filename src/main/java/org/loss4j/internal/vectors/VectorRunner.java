package org.loss4j.internal.vectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.loss4j.Backend;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * Runs one vector on one backend and compares with PyTorch: the forward call, the fused forward+backward call
 * (every gradient PyTorch gives, and no other), extra outputs, or the expected exception.
 */
public final class VectorRunner {

    private VectorRunner() {}

    /**
     * The result of one case on one backend.
     *
     * @param dtype    the case's floating dtype ({@code f32}/{@code f64})
     * @param maxAbs   worst absolute error |a - e| over finite elements with |e| <= 1
     * @param maxRel   worst relative error |a - e| / |e| over finite elements with |e| > 1
     * @param tolUsed  worst |a - e| / (abs + rel |e|) over finite elements: the share of the tolerance used (<= 1 passes)
     */
    public record Outcome(String caseName, String loss, String backend, String dtype, boolean passed, double maxAbs,
                          double maxRel, double tolUsed, String detail) {}

    public static Outcome run(VectorCase c, Backend backend) {
        Errors err = new Errors();
        try {
            if (c.expectsError()) {
                return expectError(c, backend);
            }
            Loss loss = Losses.fromPyTorch(c.loss(), c.options()).on(backend);
            if (!loss.argumentNames().equals(c.argNames())) {
                return fail(c, backend, err, "argument names " + loss.argumentNames() + " differ from PyTorch's " + c.argNames());
            }
            Tolerance tol = c.tolerance() != null ? c.tolerance() : Tolerance.of(c.output().dtype());
            Tensor[] args = onDevice(c.args(), backend);
            Tensor fwd = host(loss.forward(args));
            String m = compare("output (forward)", fwd, c.output(), tol, err);
            if (m != null) return fail(c, backend, err, m);
            if (!c.grads().isEmpty()) {
                Tensor gradOutput = c.gradOutput() == null ? null : onDevice(new Tensor[] {c.gradOutput()}, backend)[0];
                LossResult r = loss.backward(gradOutput, args);
                m = compare("output (forwardBackward)", host(r.loss()), c.output(), tol, err);
                if (m != null) return fail(c, backend, err, m);
                for (Map.Entry<String, Tensor> e : c.grads().entrySet()) {
                    Tensor g = r.gradients().get(e.getKey());
                    if (g == null) return fail(c, backend, err, "no gradient for '" + e.getKey() + "' (PyTorch gives one)");
                    m = compare("grad " + e.getKey(), host(g), e.getValue(), tol, err);
                    if (m != null) return fail(c, backend, err, m);
                }
                for (String k : r.gradients().keySet()) {
                    if (!c.grads().containsKey(k)) {
                        return fail(c, backend, err, "gradient for '" + k + "' which PyTorch does not differentiate");
                    }
                }
                for (Map.Entry<String, Tensor> e : c.extras().entrySet()) {
                    // "name()" extras are results of other methods (e.g. log_prob()), checked by the loss's own test
                    if (e.getKey().endsWith("()")) continue;
                    Tensor x = r.extras().get(e.getKey());
                    if (x == null) return fail(c, backend, err, "no extra output '" + e.getKey() + "'");
                    m = compare(e.getKey(), host(x), e.getValue(), tol, err);
                    if (m != null) return fail(c, backend, err, m);
                }
            }
            return new Outcome(c.name(), c.loss(), backend.name(), dtypeOf(c), true, err.maxAbs, err.maxRel, err.tolUsed, "");
        } catch (RuntimeException | StackOverflowError e) {
            return fail(c, backend, err, "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Outcome expectError(VectorCase c, Backend backend) {
        VectorCase.ExpectedError x = c.error();
        try {
            Loss loss = Losses.fromPyTorch(c.loss(), c.options()).on(backend);
            loss.forward(onDevice(c.args(), backend));
        } catch (RuntimeException e) {
            if (!isA(e, x.javaType())) {
                return new Outcome(c.name(), c.loss(), backend.name(), dtypeOf(c), false, 0, 0, 0,
                        "expected " + x.javaType() + " but got " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            List<String> missing = new ArrayList<>();
            for (String w : x.mentions()) {
                if (!msg.contains(w.toLowerCase(Locale.ROOT))) missing.add(w);
            }
            if (!missing.isEmpty()) {
                return new Outcome(c.name(), c.loss(), backend.name(), dtypeOf(c), false, 0, 0, 0,
                        "message does not mention " + missing + ": " + e.getMessage());
            }
            return new Outcome(c.name(), c.loss(), backend.name(), dtypeOf(c), true, 0, 0, 0, "");
        }
        return new Outcome(c.name(), c.loss(), backend.name(), dtypeOf(c), false, 0, 0, 0,
                "expected " + x.javaType() + " (PyTorch: " + x.torchMessage() + ") but the call succeeded");
    }

    /**
     * The case's tensors where {@code backend} computes: unchanged for a CPU backend; for a CUDA backend each is
     * copied to the device (explicitly, as a user would), and results come back with {@link #host}.
     */
    public static Tensor[] onDevice(Tensor[] args, Backend backend) {
        if (backend.device().isCpu() || args == null) return args;
        Tensor[] d = new Tensor[args.length];
        for (int i = 0; i < args.length; i++) d[i] = args[i] == null ? null : args[i].copyTo(backend.device());
        return d;
    }

    /** A host view of a result: itself on the host, else a copy from the device. */
    public static Tensor host(Tensor t) {
        return t == null || !t.isCuda() ? t : t.toHost();
    }

    private static boolean isA(Throwable e, String simpleName) {
        for (Class<?> k = e.getClass(); k != null; k = k.getSuperclass()) {
            if (k.getSimpleName().equals(simpleName)) return true;
        }
        return false;
    }

    private static final class Errors {
        double maxAbs;
        double maxRel;
        double tolUsed;
    }

    private static Outcome fail(VectorCase c, Backend b, Errors err, String detail) {
        return new Outcome(c.name(), c.loss(), b.name(), dtypeOf(c), false, err.maxAbs, err.maxRel, err.tolUsed, detail);
    }

    /** The dtype of the case's first floating argument (its output's for valid cases). */
    static String dtypeOf(VectorCase c) {
        if (c.output() != null && c.output().dtype().isFloating()) return c.output().dtype().name().toLowerCase(Locale.ROOT);
        for (Tensor t : c.args()) {
            if (t.dtype().isFloating()) return t.dtype().name().toLowerCase(Locale.ROOT);
        }
        return "-";
    }

    /** Null if {@code actual} matches {@code expected}; else what differs. Updates the worst errors. */
    static String compare(String what, Tensor actual, Tensor expected, Tolerance tol, Errors err) {
        if (actual == null) return what + ": missing";
        if (actual.dtype() != expected.dtype()) {
            return what + ": dtype " + actual.dtype() + ", PyTorch " + expected.dtype();
        }
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            return what + ": shape " + Arrays.toString(actual.shape()) + ", PyTorch " + Arrays.toString(expected.shape());
        }
        if (expected.dtype() == org.loss4j.DType.BF16) tol = tol.normwise(expected); // see Tolerance.BF16
        String first = null;
        long n = expected.numel();
        for (long i = 0; i < n; i++) {
            double a = actual.getDouble(i);
            double e = expected.getDouble(i);
            if (Double.isFinite(a) && Double.isFinite(e)) {
                double d = Math.abs(a - e);
                if (Math.abs(e) <= 1) err.maxAbs = Math.max(err.maxAbs, d);
                else err.maxRel = Math.max(err.maxRel, d / Math.abs(e));
                err.tolUsed = Math.max(err.tolUsed, d / (tol.abs() + tol.rel() * Math.abs(e)));
            }
            if (!tol.accepts(a, e) && first == null) {
                first = what + ": element " + i + " is " + a + ", PyTorch " + e + " (|diff| " + Math.abs(a - e)
                        + ", tolerance rel " + tol.rel() + " abs " + tol.abs() + ")";
            }
        }
        return first;
    }
}

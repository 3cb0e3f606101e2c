package org.loss4j.loss;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.workspace.Workspace;

/**
 * One invocation of a loss: arguments, the backend's ops, caller-provided outputs, and what to compute.
 * A loss's {@code compute} validates {@link #args}, then asks for its output with {@link #output} and its gradients
 * with {@link #grad} (which return the caller's tensors after checking them, or allocate new ones).
 */
final class Call {

    Loss loss;
    Ops ops;
    /** Where the call's tensors live: outputs and gradients are allocated there (set after {@link #reset}). */
    org.loss4j.Device device = org.loss4j.Device.CPU;
    Workspace ws;
    /** The arguments; a loss may replace an entry with a view (e.g. GaussianNLL's unsqueezed var). */
    Tensor[] args;
    /** The caller's arguments, untouched: gradients keep their shapes. */
    private Tensor[] callerArgs;
    boolean backward;
    private Tensor gradOutput;
    private Tensor outProvided;
    private Tensor[] gradsProvided;
    private boolean allocateGrads;
    private Tensor out;
    private Tensor[] grads;
    private Map<String, Tensor> extras;

    /** Reusable arrays by length (a call reuses them: the steady state allocates nothing). */
    private final Tensor[][] argsBuf = new Tensor[9][];
    private final Tensor[][] gradsBuf = new Tensor[9][];
    private final Tensor[][] operandsBuf = new Tensor[9][];
    private final Tensor[][] operandGradsBuf = new Tensor[9][];
    private final long[][] shapeBuf = new long[9][];

    private static final long[] SCALAR = new long[0];

    private final double[] sums = new double[4];

    /** Four zeroed doubles for a kernel's partial sums (e.g. {@code SoftmaxOps} sums), reused call after call. */
    double[] sums() {
        java.util.Arrays.fill(sums, 0);
        return sums;
    }

    Call() {}

    Call(Loss loss, Ops ops, Workspace ws, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
         boolean backward, boolean allocateGrads) {
        reset(loss, ops, ws, args, gradOutput, out, grads, backward, allocateGrads);
    }

    /** Prepares this (reused) call for a new invocation. */
    Call reset(Loss loss, Ops ops, Workspace ws, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
               boolean backward, boolean allocateGrads) {
        this.loss = loss;
        this.ops = ops;
        this.ws = ws;
        this.callerArgs = args;
        this.args = buffer(argsBuf, args.length, false);
        System.arraycopy(args, 0, this.args, 0, args.length);
        this.gradOutput = gradOutput;
        this.outProvided = out;
        this.gradsProvided = grads;
        this.backward = backward;
        this.allocateGrads = allocateGrads;
        this.grads = buffer(gradsBuf, args.length, true);
        this.out = null;
        this.extras = null;
        this.device = org.loss4j.Device.CPU;
        return this;
    }

    /** Drops every reference to caller tensors (a pooled call must not keep them alive). */
    void clear() {
        loss = null;
        ops = null;
        callerArgs = null;
        gradOutput = null;
        outProvided = null;
        gradsProvided = null;
        out = null;
        extras = null;
        if (args != null) java.util.Arrays.fill(args, null);
        if (grads != null) java.util.Arrays.fill(grads, null);
        for (Tensor[] t : operandsBuf) if (t != null) java.util.Arrays.fill(t, null);
        for (Tensor[] t : operandGradsBuf) if (t != null) java.util.Arrays.fill(t, null);
    }

    private static Tensor[] buffer(Tensor[][] pool, int n, boolean clear) {
        if (n >= pool.length) return new Tensor[n];
        Tensor[] t = pool[n];
        if (t == null) {
            t = pool[n] = new Tensor[n];
        } else if (clear) {
            java.util.Arrays.fill(t, null);
        }
        return t;
    }

    /** {@code t.reshape(d0)} without a varargs array when it is already that shape (the usual case). */
    static Tensor view(Tensor t, long d0) {
        return t.dim() == 1 && t.size(0) == d0 ? t : t.reshape(d0);
    }

    /** {@code t.reshape(d0, d1)} without a varargs array when it is already that shape (the usual case). */
    static Tensor view(Tensor t, long d0, long d1) {
        return t.dim() == 2 && t.size(0) == d0 && t.size(1) == d1 ? t : t.reshape(d0, d1);
    }

    /** A reusable operand array of length {@code n} (contents undefined), for a kernel call. */
    Tensor[] operandArray(int n) {
        return buffer(operandsBuf, n, false);
    }

    /** A reusable, cleared array of length {@code n} for a kernel's gradient tensors. */
    Tensor[] operandGradArray(int n) {
        return buffer(operandGradsBuf, n, true);
    }

    /** The shape of {@code t} in a reusable array (read-only; valid until the next call of this method). */
    long[] shapeOf(Tensor t) {
        int r = t.dim();
        if (r == 0) return SCALAR;
        long[] s = r < shapeBuf.length ? shapeBuf[r] : new long[r];
        if (s == null) s = shapeBuf[r] = new long[r];
        for (int d = 0; d < r; d++) s[d] = t.size(d);
        return s;
    }

    Reduction reduction() {
        return loss.reduction;
    }

    Tensor arg(int i) {
        return args[i];
    }

    String argName(int i) {
        return loss.argumentNames().get(i);
    }

    /** The output tensor: the caller's (checked) or a new one. Call once, after validating the arguments. */
    Tensor output(DType dtype, long... shape) {
        if (outProvided != null) {
            if (!usable(outProvided) || !hasShape(outProvided, dtype, shape)) Check.output("out", outProvided, dtype, shape);
            out = outProvided;
        } else {
            out = Tensor.zeros(device, dtype, shape);
        }
        return out;
    }

    /** Sets a scalar output. */
    void outputScalar(DType dtype, double value) {
        Tensor o = output(dtype, SCALAR);
        if (o.isCuda()) {
            Tensor.scalar(dtype, value).copyInto(o);
        } else {
            o.setDouble(0, value);
        }
    }

    /** True if {@code t} is present with exactly this dtype and shape (checked without copying its shape). */
    static boolean hasShape(Tensor t, DType dtype, long[] shape) {
        if (t == null || t.dtype() != dtype || t.dim() != shape.length) return false;
        for (int d = 0; d < shape.length; d++) {
            if (t.size(d) != shape[d]) return false;
        }
        return true;
    }

    /** True if the gradient of argument {@code i} is to be computed. */
    boolean wantsGrad(int i) {
        if (!backward || !loss.differentiableArguments().contains(argName(i))) return false;
        return allocateGrads || (gradsProvided != null && gradsProvided[i] != null);
    }

    /**
     * True if the caller passed its own tensor for the gradient of argument {@code i} ({@code forwardBackwardInto}).
     * Lets a loss whose differentiable arguments depend on the call (CrossEntropyLoss: a target of class indices has
     * no gradient) reject a gradient it cannot give instead of leaving the caller's tensor unwritten.
     */
    boolean gradProvided(int i) {
        return gradsProvided != null && gradsProvided[i] != null;
    }

    /** The gradient tensor of argument {@code i} (same dtype and shape as the argument); its contents are undefined. */
    Tensor grad(int i) {
        if (grads[i] != null) return grads[i];
        Tensor a = callerArgs[i];
        if (gradsProvided != null && gradsProvided[i] != null) {
            if (!usable(gradsProvided[i]) || !sameLayout(gradsProvided[i], a)) {
                Check.present("grads[" + i + "] (gradient of " + argName(i) + ")", gradsProvided[i]);
                Check.output("grads[" + i + "] (gradient of " + argName(i) + ")", gradsProvided[i], a.dtype(), a.shape());
            }
            grads[i] = gradsProvided[i];
        } else {
            grads[i] = Tensor.zeros(device, a.dtype(), a.shape());
        }
        return grads[i];
    }

    /** What {@link Check#present} accepts, without building a name (it throws with one where this is false). */
    private boolean usable(Tensor t) {
        return t != null && t.isAlive() && t.device().equals(device)
                && (t.isCuda() || t.segment().isAccessibleBy(Thread.currentThread()));
    }

    private static boolean sameLayout(Tensor t, Tensor a) {
        if (t == null || t.dtype() != a.dtype() || t.dim() != a.dim()) return false;
        for (int d = 0; d < a.dim(); d++) {
            if (t.size(d) != a.size(d)) return false;
        }
        return true;
    }

    /** The gradients array for a kernel: {@code grad(i)} where wanted, else null. */
    Tensor[] gradsFor(int... argIndices) {
        if (!backward) return null;
        Tensor[] g = new Tensor[argIndices.length];
        for (int k = 0; k < argIndices.length; k++) {
            if (wantsGrad(argIndices[k])) g[k] = grad(argIndices[k]);
        }
        return g;
    }

    /** The upstream gradient of a 0-dim output: {@code gradOutput} (one element) or 1 if absent. */
    double gradOutputScalar() {
        if (gradOutput == null) return 1.0;
        Check.present("gradOutput", gradOutput);
        if (gradOutput.numel() != 1 || !gradOutput.dtype().isFloating()) {
            throw new IllegalArgumentException("gradOutput must be a floating scalar for a scalar loss, got "
                    + gradOutput.dtype().torchName() + " of shape " + Check.shape(gradOutput));
        }
        return gradOutput.isCuda() ? gradOutput.toHost().getDouble(0) : gradOutput.getDouble(0);
    }

    /** The upstream gradient of a non-scalar output; required, with exactly the output's shape and dtype. */
    Tensor gradOutputTensor(DType dtype, long[] shape) {
        if (shape.length == 0 && gradOutput == null && !device.isCpu()) return Tensor.scalar(dtype, 1.0).copyTo(device);
        if (shape.length == 0 && gradOutput == null) {
            Tensor one = ws.uninitialized(dtype);
            one.setDouble(0, 1.0);
            return one;
        }
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput is required for a non-scalar output (reduction='none'): expected shape "
                    + Arrays.toString(shape));
        }
        Check.present("gradOutput", gradOutput);
        if (gradOutput.dtype() != dtype || !Arrays.equals(gradOutput.shape(), shape)) {
            throw new IllegalArgumentException("gradOutput must be " + dtype.torchName() + " of the output's shape "
                    + Arrays.toString(shape) + ", got " + gradOutput.dtype().torchName() + " of shape " + Check.shape(gradOutput));
        }
        return gradOutput;
    }

    /** Attaches an extra result (e.g. AdaptiveLogSoftmaxWithLoss's {@code output}). */
    void extra(String name, Tensor t) {
        if (extras == null) extras = new LinkedHashMap<>();
        extras.put(name, t);
    }

    LossResult result() {
        Map<String, Tensor> g = new LinkedHashMap<>();
        List<String> names = loss.argumentNames();
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null) g.put(names.get(i), grads[i]);
        }
        return new LossResult(out, g, extras == null ? Map.of() : extras);
    }
}

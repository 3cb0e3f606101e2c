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

    final Loss loss;
    final Ops ops;
    final Workspace ws;
    /** The arguments; a loss may replace an entry with a view (e.g. GaussianNLL's unsqueezed var). */
    final Tensor[] args;
    /** The caller's arguments, untouched: gradients keep their shapes. */
    private final Tensor[] callerArgs;
    final boolean backward;
    private final Tensor gradOutput;
    private final Tensor outProvided;
    private final Tensor[] gradsProvided;
    private final boolean allocateGrads;
    private Tensor out;
    private final Tensor[] grads;
    private Map<String, Tensor> extras;

    Call(Loss loss, Ops ops, Workspace ws, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
         boolean backward, boolean allocateGrads) {
        this.loss = loss;
        this.ops = ops;
        this.ws = ws;
        this.callerArgs = args;
        this.args = args.clone();
        this.gradOutput = gradOutput;
        this.outProvided = out;
        this.gradsProvided = grads;
        this.backward = backward;
        this.allocateGrads = allocateGrads;
        this.grads = new Tensor[args.length];
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
            Check.output("out", outProvided, dtype, shape);
            out = outProvided;
        } else {
            out = Tensor.zeros(dtype, shape);
        }
        return out;
    }

    /** Sets a scalar output. */
    void outputScalar(DType dtype, double value) {
        output(dtype).setDouble(0, value);
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
            Check.output("grads[" + i + "] (gradient of " + argName(i) + ")", gradsProvided[i], a.dtype(), a.shape());
            grads[i] = gradsProvided[i];
        } else {
            grads[i] = Tensor.zeros(a.dtype(), a.shape());
        }
        return grads[i];
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
        return gradOutput.getDouble(0);
    }

    /** The upstream gradient of a non-scalar output; required, with exactly the output's shape and dtype. */
    Tensor gradOutputTensor(DType dtype, long[] shape) {
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

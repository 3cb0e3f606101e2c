package org.loss4j.loss;

import java.util.List;
import java.util.Set;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.Config;
import org.loss4j.internal.ops.BackendRegistry;
import org.loss4j.internal.ops.Ops;
import org.loss4j.internal.workspace.Workspace;

/**
 * Base of every loss. A loss is immutable and thread-safe: its options are fixed at construction, and one instance
 * may serve many threads at once.
 *
 * <p>Two call styles:
 * <ul>
 *   <li>convenient: {@link #forward(Tensor...)} and {@link #forwardBackward(Tensor...)} return new tensors;</li>
 *   <li>allocation-free: {@link #forwardInto(Tensor, Tensor...)} and
 *       {@link #forwardBackwardInto(Tensor, Tensor[], Tensor, Tensor...)} write into caller tensors.</li>
 * </ul>
 * Arguments come in PyTorch's order ({@link #argumentNames()}). Every argument is validated before any kernel
 * runs: bad input throws {@link IllegalArgumentException} (or {@link IndexOutOfBoundsException} for class indices),
 * with a message that names the argument and its sizes.
 *
 * <p>For {@link Reduction#NONE} (or any non-scalar output) the backward call needs {@code gradOutput}, the
 * upstream gradient of the output's shape; for scalar outputs it may be null, meaning 1.
 */
public abstract class Loss {

    final Reduction reduction;
    final Backend backend;

    Loss(Reduction reduction, Backend backend) {
        if (reduction == null) throw new IllegalArgumentException("reduction must not be null");
        this.reduction = reduction;
        this.backend = backend;
    }

    /** The PyTorch class name, e.g. {@code CrossEntropyLoss}. */
    public abstract String name();

    /** The arguments of {@code forward}, in PyTorch's order, e.g. {@code [input, target]}. */
    public abstract List<String> argumentNames();

    /** The floating arguments PyTorch differentiates; the backward call returns a gradient for each. */
    public abstract Set<String> differentiableArguments();

    /** PyTorch's reduction of this loss. */
    public final Reduction reduction() {
        return reduction;
    }

    /** The backend chosen for this loss, or null for automatic selection. */
    public final Backend backend() {
        return backend;
    }

    /** The same loss on another backend (per-call override). */
    public final Loss on(Backend backend) {
        return withBackend(backend);
    }

    abstract Loss withBackend(Backend backend);

    /** The op groups this loss uses, for {@link #explain(Tensor...)}. */
    List<String> opGroups() {
        return List.of("pointwise", "reduce");
    }

    /** Validates, then computes into {@code call}. */
    abstract void compute(Call call);

    // ------------------------------------------------------------------ public calls

    /** The loss as a new tensor (a scalar for mean/sum reductions). */
    public Tensor forward(Tensor... args) {
        return run(args, null, null, null, false, false).loss();
    }

    /** The loss written into {@code out}, which must have the output's dtype and shape. */
    public void forwardInto(Tensor out, Tensor... args) {
        if (out == null) throw new IllegalArgumentException("out must not be null");
        run(args, null, out, null, false, false);
    }

    /** Loss and gradients of every differentiable argument, for a scalar output (gradient 1). */
    public LossResult forwardBackward(Tensor... args) {
        return run(args, null, null, null, true, true);
    }

    /** Loss and gradients with the upstream gradient {@code gradOutput} (required for reduction NONE). */
    public LossResult backward(Tensor gradOutput, Tensor... args) {
        return run(args, gradOutput, null, null, true, true);
    }

    /**
     * The fused call into caller tensors: the loss into {@code out} (may be null) and the gradient of argument i into
     * {@code grads[i]} where that entry is not null (the others are not computed). Nothing is allocated for outputs.
     */
    public void forwardBackwardInto(Tensor out, Tensor[] grads, Tensor gradOutput, Tensor... args) {
        if (grads == null) throw new IllegalArgumentException("grads must not be null (use null entries to skip gradients)");
        if (grads.length != argumentNames().size()) {
            throw new IllegalArgumentException("grads must have one entry per argument " + argumentNames() + ", got " + grads.length);
        }
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null && !differentiableArguments().contains(argumentNames().get(i))) {
                throw new IllegalArgumentException("no gradient for argument '" + argumentNames().get(i) + "' of " + name()
                        + ": PyTorch does not differentiate it (differentiable: " + differentiableArguments() + ")");
            }
        }
        run(args, gradOutput, out, grads, true, false);
    }

    /** Which backend and which implementation of each step would serve this loss for these arguments. */
    public String explain(Tensor... args) {
        Ops ops = resolve(args);
        if (!ops.device().isCpu()) return DeviceCall.explain(this, ops, args);
        StringBuilder sb = new StringBuilder(name()).append(" (reduction=").append(reduction.torchName()).append(") on ")
                .append(ops.name()).append(":");
        org.loss4j.DType dt = null;
        if (args != null) {
            for (Tensor t : args) {
                if (t != null && t.dtype().isFloating()) {
                    dt = t.dtype();
                    break;
                }
            }
        }
        for (String g : opGroups()) {
            sb.append(' ').append(g).append('=').append(dt == null ? ops.servedBy(g) : ops.servedBy(g, dt)).append(';');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    @Override
    public String toString() {
        return name() + "(reduction=" + reduction.torchName() + ")";
    }

    // ------------------------------------------------------------------ plumbing

    Ops resolve(Tensor[] args) {
        if (backend != null) return BackendRegistry.ops(backend);
        org.loss4j.Device dev = org.loss4j.Device.CPU;
        if (args != null) {
            for (Tensor t : args) {
                if (t != null) {
                    dev = t.device();
                    break;
                }
            }
        }
        if (dev.isCpu()) {
            // the default CPU backend, cached while the loss4j.backend property is unchanged (the environment is fixed)
            DefaultCpu d = defaultCpu;
            String p = System.getProperty(Config.BACKEND.property());
            if (d == null || !java.util.Objects.equals(d.property, p)) {
                d = new DefaultCpu(p, BackendRegistry.ops(Backends.defaultBackend()));
                defaultCpu = d;
            }
            return d.ops;
        }
        return BackendRegistry.ops(BackendRegistry.defaultFor(dev));
    }

    private record DefaultCpu(String property, Ops ops) {}

    private static volatile DefaultCpu defaultCpu;

    /** Per-thread reusable calls, one per nesting level (a loss may run another inside its compute). */
    private static final class CallStack {
        Call[] calls = new Call[4];
        int depth;

        Call acquire() {
            if (depth == calls.length) calls = java.util.Arrays.copyOf(calls, depth * 2);
            Call c = calls[depth];
            if (c == null) c = calls[depth] = new Call();
            depth++;
            return c;
        }

        void release(Call c) {
            c.clear();
            depth--;
        }
    }

    private static final ThreadLocal<CallStack> CALLS = ThreadLocal.withInitial(CallStack::new);

    /** Tensors held as options (weights), null entries for unset ones; bfloat16 calls refuse losses holding any. */
    Tensor[] optionTensors() {
        return NO_TENSORS;
    }

    private static final Tensor[] NO_TENSORS = {};

    /** False where PyTorch has no bfloat16 CPU kernel for this loss: loss4j refuses bfloat16 there too. */
    boolean takesBf16() {
        return true;
    }

    LossResult run(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads, boolean backward, boolean allocateGrads) {
        List<String> names = argumentNames();
        if (args == null || args.length != names.size()) {
            throw new IllegalArgumentException(name() + " takes " + names.size() + " arguments " + names + ", got "
                    + (args == null ? 0 : args.length));
        }
        if (Bf16.involved(args, gradOutput, out, grads)) return runBf16(args, gradOutput, out, grads, backward, allocateGrads);
        Ops ops = resolve(args);
        org.loss4j.Device device = DeviceCall.checkDevices(this, ops, args, gradOutput, out, grads);
        if (!device.isCpu()) return DeviceCall.run(this, ops, device, args, gradOutput, out, grads, backward, allocateGrads);
        return execute(ops, org.loss4j.Device.CPU, args, gradOutput, out, grads, backward, allocateGrads);
    }

    /** bfloat16 computes on the host only: CUDA tensors are staged through it as a whole. */
    private LossResult runBf16(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads, boolean backward,
                               boolean allocateGrads) {
        if (DeviceCall.anyCuda(args, gradOutput, out, grads)) {
            org.loss4j.Device device = DeviceCall.checkDevices(this, resolve(args), args, gradOutput, out, grads);
            return DeviceCall.stagedBf16(this, device, args, gradOutput, out, grads, backward, allocateGrads);
        }
        return Bf16.run(this, args, gradOutput, out, grads, backward, allocateGrads);
    }

    /** Runs {@link #compute} on {@code ops} over tensors on {@code device} (already checked to be theirs). */
    LossResult execute(Ops ops, org.loss4j.Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                       boolean backward, boolean allocateGrads) {
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        CallStack stack = CALLS.get();
        Call call = stack.acquire();
        try {
            call.reset(this, ops, ws, args, gradOutput, out, grads, backward, allocateGrads);
            call.device = device;
            compute(call);
            // the Into calls return nothing: no result object on the allocation-free path
            return allocateGrads || (!backward && out == null) ? call.result() : null;
        } finally {
            stack.release(call);
            ws.release(mark);
        }
    }
}

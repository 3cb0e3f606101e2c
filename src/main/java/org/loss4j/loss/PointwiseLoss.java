package org.loss4j.loss;

import java.util.List;
import org.loss4j.Backend;
import org.loss4j.DType;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.ops.PointwiseFn;

/**
 * A loss that is one element-wise term over broadcast operands, then PyTorch's reduction (mean over all elements,
 * sum, none, or KLDiv's batchmean). Subclasses give the term ({@link #fn}), the operands ({@link #operands}),
 * option tensors used as operands ({@link #optionOperand}) and extra validation ({@link #validate}); this class
 * does dtypes, broadcasting, the reduction and gradient routing.
 */
abstract class PointwiseLoss extends Loss {

    /** Placeholder in {@link #operands()} for an option tensor (weight, pos_weight), supplied by {@link #optionOperand}. */
    static final int OPTION = -1;

    PointwiseLoss(Reduction reduction, Backend backend) {
        super(reduction, backend);
    }

    /** The element-wise term. */
    abstract PointwiseFn fn();

    /**
     * For each operand of the term, the index of the call argument it is, or {@link #OPTION} for an option tensor.
     * Default: all arguments, in order.
     */
    int[] operands() {
        int[] o = new int[argumentNames().size()];
        for (int i = 0; i < o.length; i++) o[i] = i;
        return o;
    }

    /** The tensor of operand {@code k} where {@link #operands()} says {@link #OPTION}. */
    Tensor optionOperand(Call call, int k) {
        throw new IllegalStateException("operand " + k + " of " + name() + " has no option tensor");
    }

    /**
     * Checks beyond "floating, same dtype" (shape rules, value ranges); may replace {@code call.args[i]} with a
     * reshaped view (e.g. GaussianNLL's unsqueezed var). Runs before {@link #outputShape}.
     */
    void validate(Call call) {}

    /**
     * The output shape; default: NumPy broadcast of the argument operands (option operands must broadcast into it).
     * The returned array is read-only (it may be the call's reusable buffer).
     */
    long[] outputShape(Call call, int[] ops) {
        // common case first: every argument operand has one shape (no array is built)
        Tensor first = null;
        boolean same = true;
        for (int op : ops) {
            if (op == OPTION) continue;
            Tensor t = call.args[op];
            if (first == null) {
                first = t;
            } else if (!sameShape(first, t)) {
                same = false;
                break;
            }
        }
        if (same) return call.shapeOf(first);
        long[] shape = null;
        String firstName = null;
        for (int op : ops) {
            if (op == OPTION) continue;
            if (shape == null) {
                shape = call.args[op].shape();
                firstName = call.argName(op);
            } else {
                shape = Check.broadcast(firstName, shape, call.argName(op), call.args[op].shape());
            }
        }
        return shape;
    }

    /** Identical shapes, compared without copying them. */
    static boolean sameShape(Tensor a, Tensor b) {
        if (a.dim() != b.dim()) return false;
        for (int d = 0; d < a.dim(); d++) {
            if (a.size(d) != b.size(d)) return false;
        }
        return true;
    }

    /** True if {@code t} broadcasts into {@code into}'s shape without enlarging it, checked without arrays. */
    static boolean broadcastsInto(Tensor t, Tensor into) {
        int r = t.dim();
        int R = into.dim();
        if (r > R) return false;
        for (int d = 0; d < r; d++) {
            long s = t.size(d);
            if (s != 1 && s != into.size(R - r + d)) return false;
        }
        return true;
    }

    /** True if {@code t}'s shape broadcasts into {@code shape} (NumPy rules, right-aligned), checked without arrays. */
    private static boolean broadcastsInto(Tensor t, long[] shape) {
        int r = t.dim();
        if (r > shape.length) return false;
        for (int d = 0; d < r; d++) {
            long s = t.size(d);
            if (s != 1 && s != shape[shape.length - r + d]) return false;
        }
        return true;
    }

    private int[] operandsCache;

    private int[] cachedOperands() {
        int[] o = operandsCache;
        if (o == null) operandsCache = o = operands();
        return o;
    }

    @Override
    final void compute(Call call) {
        int[] ops = cachedOperands();
        Tensor first = null;
        String firstName = null;
        for (int op : ops) {
            if (op == OPTION) continue;
            Tensor t = Check.floating(call.argName(op), call.args[op]);
            if (first == null) {
                first = t;
                firstName = call.argName(op);
            } else {
                Check.sameDtype(firstName, first, call.argName(op), t);
            }
        }
        validate(call);
        long[] shape = outputShape(call, ops);
        DType dt = first.dtype();
        Tensor[] operands = call.operandArray(ops.length);
        Tensor[] grads = call.backward ? call.operandGradArray(ops.length) : null;
        for (int k = 0; k < ops.length; k++) {
            if (ops[k] == OPTION) {
                operands[k] = optionOperand(call, k);
                if (operands[k].dtype() != dt) Check.sameDtype(firstName, first, "option operand " + k, operands[k]);
                if (!broadcastsInto(operands[k], shape)) Check.broadcast("output", shape, "option operand " + k, operands[k].shape());
            } else {
                operands[k] = call.args[ops[k]];
                if (grads != null && call.wantsGrad(ops[k])) grads[k] = call.grad(ops[k]);
            }
        }
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, shape);
            Tensor go = call.backward ? call.gradOutputTensor(dt, shape) : null;
            call.ops.pointwise().apply(fn(), operands, shape, out, go, 0, grads);
        } else {
            double divisor = switch (reduction) {
                case MEAN -> {
                    long n = 1;
                    for (long d : shape) n *= d;
                    yield n;
                }
                // KLDiv's batchmean: sum / input.size(0) (a 0-dim input divides by 1, as PyTorch does)
                case BATCHMEAN -> call.args[ops[0]].dim() == 0 ? 1 : call.args[ops[0]].size(0);
                default -> 1;
            };
            double g = call.backward ? call.gradOutputScalar() : 0;
            double sum = call.ops.pointwise().apply(fn(), operands, shape, null, null, g / divisor, grads);
            call.outputScalar(dt, sum / divisor);
        }
    }

    @Override
    List<String> opGroups() {
        return List.of("pointwise");
    }
}

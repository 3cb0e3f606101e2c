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
 * or sum, or none). Subclasses give the term ({@link #fn}), the operands ({@link #operands}) and any extra
 * validation ({@link #validate}); this class does shapes, dtypes, reduction and gradient routing.
 */
abstract class PointwiseLoss extends Loss {

    PointwiseLoss(Reduction reduction, Backend backend) {
        super(reduction, backend);
    }

    /** The element-wise term. */
    abstract PointwiseFn fn();

    /** Indices into the call's arguments of the kernel's operands, in the term's order. Default: all arguments. */
    int[] operands() {
        int[] o = new int[argumentNames().size()];
        for (int i = 0; i < o.length; i++) o[i] = i;
        return o;
    }

    /** Checks beyond "floating, same dtype, broadcastable"; may rewrite {@code call.args} views (e.g. unsqueeze). */
    void validate(Call call) {}

    /** The broadcast shape of the operands; default: NumPy broadcast of all of them. */
    long[] outputShape(Call call, int[] ops) {
        long[] shape = call.args[ops[0]].shape();
        for (int k = 1; k < ops.length; k++) {
            shape = Check.broadcast(call.argName(ops[0]), shape, call.argName(ops[k]), call.args[ops[k]].shape());
        }
        return shape;
    }

    @Override
    final void compute(Call call) {
        int[] ops = operands();
        Tensor first = Check.floating(call.argName(ops[0]), call.args[ops[0]]);
        for (int k = 1; k < ops.length; k++) {
            Check.floating(call.argName(ops[k]), call.args[ops[k]]);
            Check.sameDtype(call.argName(ops[0]), first, call.argName(ops[k]), call.args[ops[k]]);
        }
        validate(call);
        long[] shape = outputShape(call, ops);
        DType dt = first.dtype();
        Tensor[] operands = new Tensor[ops.length];
        for (int k = 0; k < ops.length; k++) operands[k] = call.args[ops[k]];
        Tensor[] grads = call.gradsFor(ops);
        if (reduction == Reduction.NONE) {
            Tensor out = call.output(dt, shape);
            Tensor go = call.backward ? call.gradOutputTensor(dt, shape) : null;
            call.ops.pointwise().apply(fn(), operands, shape, out, go, 0, grads);
        } else {
            long n = 1;
            for (long d : shape) n *= d;
            double scale = reduction == Reduction.MEAN ? 1.0 / n : 1.0;
            double g = call.backward ? call.gradOutputScalar() : 0;
            double sum = call.ops.pointwise().apply(fn(), operands, shape, null, null, g * scale, grads);
            call.outputScalar(dt, reduction == Reduction.MEAN ? sum / n : sum);
        }
    }

    @Override
    List<String> opGroups() {
        return List.of("pointwise");
    }
}

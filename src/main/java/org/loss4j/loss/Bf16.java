package org.loss4j.loss;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.java.vector.Vectorization;
import org.loss4j.internal.workspace.Workspace;

/**
 * bfloat16 calls: every floating tensor of the call (arguments, upstream gradient, caller outputs and gradients) must
 * be bfloat16. They are widened exactly to float32 in the per-thread workspace, the loss runs in float32 (the same
 * code, kernels and validation), and the loss, the gradients and the extras are rounded to bfloat16 (nearest-even).
 * PyTorch's CPU kernels also compute reduced-precision types in float, but its composite losses round some
 * intermediates to bfloat16 (e.g. {@code mse_loss} rounds {@code input - target}); the bfloat16 tolerance
 * ({@code Tolerance.BF16}) covers that difference.
 */
final class Bf16 {

    private Bf16() {}

    static boolean involved(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        for (Tensor t : args) if (isBf16(t)) return true;
        if (isBf16(gradOutput) || isBf16(out)) return true;
        if (grads != null) for (Tensor t : grads) if (isBf16(t)) return true;
        return false;
    }

    private static boolean isBf16(Tensor t) {
        return t != null && t.dtype() == DType.BF16;
    }

    static LossResult run(Loss loss, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads, boolean backward,
                          boolean allocateGrads) {
        List<String> names = loss.argumentNames();
        for (int i = 0; i < args.length; i++) if (isBf16(args[i])) Check.present(names.get(i), args[i]);
        if (isBf16(gradOutput)) Check.present("gradOutput", gradOutput);
        if (isBf16(out)) Check.present("out", out);
        if (grads != null) for (int i = 0; i < grads.length; i++) if (isBf16(grads[i])) Check.present("grads[" + i + "]", grads[i]);
        if (!loss.takesBf16()) {
            String first = "an argument";
            for (int i = 0; i < args.length; i++) if (isBf16(args[i])) { first = names.get(i); break; }
            throw new IllegalArgumentException(loss.name() + ": " + first + " is bfloat16, which this loss does not take (as in "
                    + "PyTorch, whose CPU kernel takes float32 and float64 only); convert the arguments to float32");
        }
        for (int i = 0; i < args.length; i++) requireBf16(loss, names.get(i), args[i]);
        requireBf16(loss, "gradOutput", gradOutput);
        requireBf16(loss, "out", out);
        if (grads != null) for (int i = 0; i < grads.length && i < names.size(); i++) requireBf16(loss, "grads[" + names.get(i) + "]", grads[i]);
        for (Tensor w : loss.optionTensors()) {
            if (w != null) {
                throw new IllegalArgumentException(loss.name() + " with a weight tensor does not take bfloat16 arguments yet; "
                        + "use float32 arguments and weights (this weight is " + w.dtype().torchName() + ")");
            }
        }
        Workspace ws = Workspace.current();
        long mark = ws.mark();
        try {
            Tensor[] wide = new Tensor[args.length];
            for (int i = 0; i < args.length; i++) wide[i] = widen(ws, args[i]);
            Tensor go = widen(ws, gradOutput);
            Tensor out32 = out == null ? null : ws.uninitialized(DType.F32, out.shape());
            Tensor[] grads32 = null;
            if (grads != null) {
                grads32 = new Tensor[grads.length];
                for (int i = 0; i < grads.length; i++) grads32[i] = grads[i] == null ? null : ws.uninitialized(DType.F32, grads[i].shape());
            }
            LossResult r = loss.run(wide, go, out32, grads32, backward, allocateGrads);
            if (out != null) narrow(out32, out);
            if (grads != null) for (int i = 0; i < grads.length; i++) if (grads[i] != null) narrow(grads32[i], grads[i]);
            if (r == null) return null;
            Map<String, Tensor> g = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : r.gradients().entrySet()) g.put(e.getKey(), narrowed(e.getValue(), grads, names, e.getKey()));
            Map<String, Tensor> x = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : r.extras().entrySet()) x.put(e.getKey(), narrowed(e.getValue()));
            return new LossResult(out != null ? out : narrowed(r.loss()), g, x);
        } finally {
            ws.release(mark);
        }
    }

    private static void requireBf16(Loss loss, String name, Tensor t) {
        if (t != null && t.dtype().isFloating() && t.dtype() != DType.BF16) {
            throw new IllegalArgumentException(loss.name() + ": " + name + " is " + t.dtype().torchName()
                    + " but another floating tensor of this call is bfloat16; loss4j never promotes dtypes, convert them to one dtype");
        }
    }

    private static Tensor widen(Workspace ws, Tensor t) {
        if (t == null || t.dtype() != DType.BF16) return t;
        Tensor w = ws.uninitialized(DType.F32, t.shape());
        Vectorization.pairKernels().widenBf16(t.segment(), w.segment(), t.numel());
        return w;
    }

    private static void narrow(Tensor f32, Tensor bf16) {
        Vectorization.pairKernels().narrowBf16(f32.segment(), bf16.segment(), f32.numel());
    }

    private static Tensor narrowed(Tensor f32) {
        if (f32 == null || f32.dtype() != DType.F32) return f32;
        Tensor t = Tensor.zeros(DType.BF16, f32.shape());
        narrow(f32, t);
        return t;
    }

    /** The caller's own gradient tensor where it gave one, else a new bfloat16 copy. */
    private static Tensor narrowed(Tensor f32, Tensor[] grads, List<String> names, String name) {
        if (grads != null) {
            int i = names.indexOf(name);
            if (i >= 0 && i < grads.length && grads[i] != null) return grads[i];
        }
        return narrowed(f32);
    }
}

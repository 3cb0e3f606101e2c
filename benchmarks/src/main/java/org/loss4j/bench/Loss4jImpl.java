package org.loss4j.bench;

import java.lang.foreign.Arena;
import org.loss4j.Backends;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;

/** A loss4j backend: forwardInto / forwardBackwardInto caller buffers made once, so allocation per call is the library's own. */
final class Loss4jImpl implements Impl {

    private final Arena arena = Arena.ofShared();
    private final Loss loss;
    private final Tensor[] args;
    private final Tensor out;
    private final Tensor[] grads;
    private final Tensor gradOut;

    Loss4jImpl(Workload w, DType dtype, String reduction, String backend, int threads) {
        ThreadKnobs.beforeLoss4j(threads);
        org.loss4j.Backend b = Backends.get(backend);
        if (backend.equals("onednn")) ThreadKnobs.openmp(threads);
        this.loss = w.createLoss(reduction).on(b);
        this.args = w.allocate(arena, dtype);
        Tensor probe = loss.forward(args);
        this.out = Tensor.zeros(arena, probe.dtype(), probe.shape());
        this.grads = new Tensor[args.length];
        for (int i = 0; i < args.length; i++) {
            if (w.args().get(i).grad()) grads[i] = Tensor.zeros(arena, args[i].dtype(), args[i].shape());
        }
        if (probe.dim() == 0) {
            gradOut = null;
        } else {
            gradOut = Tensor.zeros(arena, probe.dtype(), probe.shape());
            for (long i = 0; i < gradOut.numel(); i++) gradOut.setDouble(i, 1);
        }
    }

    @Override
    public Object forward() {
        loss.forwardInto(out, args);
        return out;
    }

    @Override
    public Object forwardBackward() {
        loss.forwardBackwardInto(out, grads, gradOut, args);
        return out;
    }

    @Override
    public double[] probe() {
        forwardBackward();
        int ng = 0;
        for (Tensor g : grads) if (g != null) ng++;
        double[] r = new double[1 + ng];
        for (long i = 0; i < out.numel(); i++) r[0] += out.getDouble(i);
        int k = 1;
        for (Tensor g : grads) {
            if (g == null) continue;
            double s = 0;
            for (long i = 0; i < g.numel(); i++) s += Math.abs(g.getDouble(i));
            r[k++] = s;
        }
        return r;
    }

    @Override
    public void close() {
        arena.close();
    }
}

package org.loss4j.loss;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.check.Check;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.ops.Ops;

/**
 * Loss calls over CUDA tensors. Two ways, chosen per loss (README, section CUDA):
 * <ul>
 *   <li><b>on the device</b>: a pointwise loss whose term has a CUDA kernel computes as on the host, over the device
 *       tensors, with the CUDA backend's ops (outputs and gradients are allocated on the device; the scalar result
 *       is copied back into a device scalar). Its validation reads only shapes and dtypes, never device memory.</li>
 *   <li><b>host-staged</b>: every other loss. The arguments (and the upstream gradient) are copied to the host,
 *       the loss runs on the Java backend there (so its validation, including class indices and CTC lengths, reads
 *       host copies and throws exactly as on the host), and the results are copied back to the caller's device
 *       tensors (or to new device tensors).</li>
 * </ul>
 */
final class DeviceCall {

    private DeviceCall() {}

    /**
     * The device of the call's tensors, checked: every argument, output, gradient and upstream gradient on one device,
     * and that device the backend's kind (host tensors for a CPU backend, CUDA tensors for the CUDA backend).
     *
     * @throws IllegalArgumentException naming the argument and both devices
     */
    static Device checkDevices(Loss loss, Ops ops, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        Device device = null;
        int from = -1;
        for (int i = 0; i < args.length; i++) {
            Tensor t = args[i];
            if (t == null) continue;
            if (device == null) {
                device = t.device();
                from = i;
            } else if (!t.device().equals(device)) {
                throw new IllegalArgumentException("argument '" + loss.argumentNames().get(i) + "' is on " + t.device()
                        + " but '" + loss.argumentNames().get(from) + "' is on " + device
                        + ": all tensors of a call must be on one device (copy with toHost() or copyTo(Device))");
            }
        }
        if (device == null) device = Device.CPU;
        Device backend = ops.device();
        if (device.type() != backend.type()) {
            throw new IllegalArgumentException("argument '" + (from < 0 ? "?" : loss.argumentNames().get(from)) + "' is on "
                    + device + " but backend '" + ops.name() + "' computes on " + (backend.isCpu() ? "cpu" : "CUDA devices ("
                    + backend + ", ...)") + "; " + (device.isCpu() ? "copy the tensors to the GPU with copyTo(...) or choose a CPU backend"
                    : "copy the tensors to the host with toHost() or let loss4j choose the backend (the CUDA backend for CUDA tensors)"));
        }
        check(device, "out", out);
        check(device, "gradOutput", gradOutput);
        if (grads != null) {
            for (int i = 0; i < grads.length; i++) {
                if (grads[i] != null && !grads[i].device().equals(device)) {
                    check(device, "grads[" + i + "] (gradient of " + loss.argumentNames().get(i) + ")", grads[i]);
                }
            }
        }
        return device;
    }

    private static void check(Device device, String name, Tensor t) {
        if (t != null && !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + " but the arguments are on " + device
                    + ": outputs and gradients must be on the arguments' device");
        }
    }

    /** True if {@code loss} computes on the device with {@code ops} (else it is host-staged). */
    static boolean onDevice(Loss loss, Ops ops) {
        return ops instanceof CudaBackend && loss instanceof PointwiseLoss p && CudaBackend.hasPointwiseKernel(p.fn())
                && !Boolean.getBoolean("loss4j.cuda.staged");
    }

    static LossResult run(Loss loss, Ops ops, Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                          boolean backward, boolean allocateGrads) {
        if (onDevice(loss, ops)) {
            Device prev = Check.computeOn(device);
            try {
                return loss.execute(ops, device, args, gradOutput, out, grads, backward, allocateGrads);
            } finally {
                Check.computeOn(prev);
                org.loss4j.internal.cuda.CudaContext.synchronize(device);
            }
        }
        return staged(loss, device, args, gradOutput, out, grads, backward, allocateGrads);
    }

    private static Tensor host(Tensor t) {
        return t == null || !t.isCuda() || !t.isAlive() ? t : t.toHost();
    }

    private static LossResult staged(Loss loss, Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                                     boolean backward, boolean allocateGrads) {
        Tensor[] h = new Tensor[args.length];
        for (int i = 0; i < args.length; i++) h[i] = host(args[i]);
        Tensor hostOut = out == null || !out.isAlive() ? out : Tensor.zeros(out.dtype(), out.shape());
        Tensor[] hostGrads = null;
        if (grads != null) {
            hostGrads = new Tensor[grads.length];
            for (int i = 0; i < grads.length; i++) {
                Tensor g = grads[i];
                hostGrads[i] = g == null || !g.isAlive() ? g : Tensor.zeros(g.dtype(), g.shape());
            }
        }
        LossResult r = loss.execute(JavaBackend.INSTANCE, Device.CPU, h, host(gradOutput), hostOut, hostGrads, backward,
                allocateGrads);
        if (out != null) hostOut.copyInto(out);
        if (grads != null) {
            for (int i = 0; i < grads.length; i++) {
                if (grads[i] != null) hostGrads[i].copyInto(grads[i]);
            }
        }
        if (r == null) return null;
        Map<String, Tensor> g = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : r.gradients().entrySet()) g.put(e.getKey(), e.getValue().copyTo(device));
        Map<String, Tensor> x = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : r.extras().entrySet()) x.put(e.getKey(), e.getValue().copyTo(device));
        Tensor l = r.loss() == null ? null : r.loss() == hostOut ? out : r.loss().copyTo(device);
        return new LossResult(l, g, x);
    }

    /** {@code explain} for CUDA tensors: on the device (which kernel) or host-staged (and why). */
    static String explain(Loss loss, Ops ops, Tensor[] args) {
        StringBuilder sb = new StringBuilder(loss.name()).append(" (reduction=").append(loss.reduction.torchName())
                .append(") on ").append(ops.name()).append(": ");
        if (onDevice(loss, ops)) {
            PointwiseLoss p = (PointwiseLoss) loss;
            int[] idx = p.operands();
            Tensor[] operands = new Tensor[idx.length];
            long n = 0;
            for (int k = 0; k < idx.length; k++) {
                operands[k] = args[idx[k]];
                n = Math.max(n, operands[k].numel());
            }
            return sb.append("on the device; pointwise=").append(CudaBackend.pointwiseServedBy(p.fn(), operands, n)).toString();
        }
        List<String> groups = loss.opGroups();
        sb.append("host-staged (arguments copied from the device, computed by the java backend: ");
        for (String gr : groups) sb.append(gr).append('=').append(JavaBackend.INSTANCE.servedBy(gr)).append("; ");
        sb.setLength(sb.length() - 2);
        sb.append("; results copied back): ").append(Boolean.getBoolean("loss4j.cuda.staged")
                ? "loss4j.cuda.staged=true" : "no CUDA kernels for " + loss.name() + " yet");
        return sb.toString();
    }
}

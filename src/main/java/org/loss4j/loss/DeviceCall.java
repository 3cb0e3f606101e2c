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

    /**
     * The op group that lets {@code loss} compute on the device over these arguments, or null where it is host-staged
     * as a whole: pointwise losses with a kernel, NLLLoss and CrossEntropyLoss with class-index targets (their
     * targets are copied to the host for validation, the rest stays on the device).
     */
    static String deviceGroup(Loss loss, Tensor[] args) {
        if (loss instanceof PointwiseLoss p) return CudaBackend.hasPointwiseKernel(p.fn()) ? "pointwise" : null;
        if (loss instanceof NLLLoss || loss instanceof CrossEntropyLoss) {
            Tensor target = args.length > 1 ? args[1] : null;
            return target != null && !target.dtype().isFloating() ? "softmax" : null;
        }
        if (loss instanceof CTCLoss) return "ctc";
        return null;
    }

    /** True if {@code loss} computes on the device with {@code ops} (else it is host-staged). */
    static boolean onDevice(Loss loss, Ops ops, Tensor[] args) {
        if (!(ops instanceof CudaBackend)) return false;
        String group = deviceGroup(loss, args);
        return group != null && !CudaBackend.staged(group);
    }

    static LossResult run(Loss loss, Ops ops, Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                          boolean backward, boolean allocateGrads) {
        if (onDevice(loss, ops, args)) {
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

    static boolean anyCuda(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        for (Tensor t : args) if (t != null && t.isCuda()) return true;
        if (gradOutput != null && gradOutput.isCuda() || out != null && out.isCuda()) return true;
        if (grads != null) for (Tensor t : grads) if (t != null && t.isCuda()) return true;
        return false;
    }

    /** A bfloat16 call over CUDA tensors: host-staged as a whole through the host's bfloat16 path ({@code Bf16}). */
    static LossResult stagedBf16(Loss loss, Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                                 boolean backward, boolean allocateGrads) {
        Loss host = loss.withBackend(org.loss4j.Backends.java());
        return staged(device, args, gradOutput, out, grads,
                (h, go, o, g) -> host.run(h, go, o, g, backward, allocateGrads));
    }

    private interface HostRun {
        LossResult run(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads);
    }

    private static LossResult staged(Loss loss, Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                                     boolean backward, boolean allocateGrads) {
        return staged(device, args, gradOutput, out, grads, (h, go, o, g) ->
                loss.execute(JavaBackend.INSTANCE, Device.CPU, h, go, o, g, backward, allocateGrads));
    }

    private static LossResult staged(Device device, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads,
                                     HostRun run) {
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
        LossResult r = run.run(h, host(gradOutput), hostOut, hostGrads);
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
        if (onDevice(loss, ops, args) && !(loss instanceof PointwiseLoss)) {
            sb.append("on the device; ");
            for (String gr : loss.opGroups()) {
                sb.append(gr).append('=').append(CudaBackend.INSTANCE.servedBy(gr)).append("; ");
            }
            if (loss instanceof CTCLoss ctc) {
                Tensor lp = args[0];
                Tensor lp3 = lp.dim() == 2 ? lp.reshape(lp.size(0), 1, lp.size(1)) : lp;
                String why;
                try {
                    why = CudaBackend.ctcStagedBecause(lp3, args[1], args[2], args[3], ctc.blank());
                } catch (RuntimeException e) { // invalid arguments: the call itself will say what is wrong
                    why = "arguments to be validated by the call (" + e.getMessage() + ")";
                }
                return sb.append(why == null ? "cudnnCTCLoss_v8 (deterministic) if every row of log_probs is"
                        + " log-normalised (checked on the device; else host-staged java)" : "ctc host-staged: " + why)
                        .append("; targets and lengths copied to the host for validation").toString();
            }
            Tensor input = args[0];
            long outer = input.dim() <= 1 ? 1 : input.size(0);
            long c = input.dim() == 0 ? 1 : input.dim() == 1 ? input.size(0) : input.size(1);
            long inner = 1;
            for (int k = 2; k < input.dim(); k++) inner *= input.size(k);
            String why = CudaBackend.softmaxStagedBecause(outer, c, inner);
            sb.append(why == null ? "log-softmax by cuDNN, class-target gather/scatter by loss4j_class_* kernels"
                    : "softmax group host-staged: " + why);
            return sb.append("; class-index targets copied to the host for validation").toString();
        }
        if (onDevice(loss, ops, args)) {
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
        String group = deviceGroup(loss, args);
        sb.append("; results copied back): ").append(group != null && CudaBackend.staged(group)
                ? CudaBackend.STAGED_PROPERTY + "=" + System.getProperty(CudaBackend.STAGED_PROPERTY) + " names " + group
                : loss instanceof CrossEntropyLoss ? "CrossEntropyLoss with class-probability targets runs on the host"
                : "no CUDA kernels for " + loss.name() + " yet");
        return sb.toString();
    }
}

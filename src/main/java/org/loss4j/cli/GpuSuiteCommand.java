package org.loss4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Reduction;
import org.loss4j.Tensor;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.vectors.Tolerance;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.internal.vectors.VectorRunner;
import org.loss4j.internal.vectors.VectorSet;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The GPU suite (README, section CUDA): every PyTorch vector on the CUDA backend (arguments copied to the device,
 * results copied back), then the CUDA backend against the Java backend on random inputs at sizes that cross block and
 * grid boundaries (1 to 1000003 elements, both dtypes, every reduction, forward and every gradient) for the losses
 * that run as kernels, plus a few host-staged ones. Exit 0 when everything agrees, 1 on any failure, 3 when the CUDA
 * backend is unavailable (the reason is printed).
 */
@Command(name = "gpu-suite", mixinStandardHelpOptions = true,
        description = "Run the PyTorch vectors and the cross-backend comparison on the CUDA backend "
                + "(exit 0 pass, 1 failures, 3 CUDA unavailable).")
final class GpuSuiteCommand implements Callable<Integer> {

    static final int UNAVAILABLE = 3;

    @Option(names = "--vectors", description = "A test-vectors/data directory instead of the vectors bundled in the jar.")
    Path vectorsDir;

    @Option(names = {"-v", "--verbose"}, description = "Print every failure.")
    boolean verbose;

    @Option(names = "--max-size", description = "Largest random input of the comparison (default ${DEFAULT-VALUE}).")
    long maxSize = 1_000_003;

    @Override
    public Integer call() {
        Backend cuda = CudaBackend.INSTANCE;
        System.out.println("loss4j gpu-suite: " + cuda.description());
        if (!cuda.isAvailable()) {
            System.out.println("CUDA backend unavailable: " + cuda.unavailableReason());
            System.out.println("gpu-suite: nothing run (exit " + UNAVAILABLE + ")");
            return UNAVAILABLE;
        }
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();

        // 1. every PyTorch vector on CUDA tensors
        VectorSet set = vectorsDir != null ? VectorSet.fromDirectory(vectorsDir) : VectorSet.load();
        Map<String, int[]> perLoss = new LinkedHashMap<>();
        for (VectorCase c : set.all()) {
            VectorRunner.Outcome o = VectorRunner.run(c, cuda);
            int[] counts = perLoss.computeIfAbsent(c.loss(), k -> new int[2]);
            counts[0]++;
            if (o.passed()) counts[1]++;
            else failures.add("[vectors] " + c.name() + ": " + o.detail());
        }
        System.out.printf("%n1. PyTorch %s vectors (%s) on cuda:0%n", set.torchVersion(), set.source());
        for (Map.Entry<String, int[]> e : perLoss.entrySet()) {
            int[] n = e.getValue();
            System.out.printf("  %-30s %4d/%-4d %s%n", e.getKey(), n[1], n[0], n[0] == n[1] ? "ok" : "FAIL");
        }

        // 2. CUDA against the Java backend on random inputs
        System.out.printf("%n2. cuda vs java on random inputs (sizes 1, 7, 255, 256, 257, 65537, 1000003)%n");
        int compared = 0;
        int before = failures.size();
        for (String loss : List.of("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "BCEWithLogitsLoss",
                "HingeEmbeddingLoss", "MarginRankingLoss", "SoftMarginLoss", "BCELoss")) {
            for (long n : new long[] {1, 7, 255, 256, 257, 65537, 1_000_003}) {
                if (n > maxSize) continue;
                for (DType dt : new DType[] {DType.F32, DType.F64}) {
                    for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM, Reduction.NONE}) {
                        compared++;
                        String what = loss + " n=" + n + " " + dt.torchName() + " " + red.torchName();
                        try {
                            String m = compare(loss, n, dt, red, cuda);
                            if (m != null) failures.add("[cross] " + what + ": " + m);
                        } catch (RuntimeException e) {
                            failures.add("[cross] " + what + ": " + e);
                        }
                    }
                }
            }
        }
        System.out.printf("  %d comparisons, %d failed%n", compared, failures.size() - before);

        // 3. the native op groups directly (cuBLAS products, row kernels, cuDNN softmax) against the Java kernels
        System.out.printf("%n3. cuda op groups vs java (linear: cuBLAS gemm and row kernels; softmax: cuDNN)%n");
        before = failures.size();
        int ops = opChecks(failures);
        System.out.printf("  %d op checks, %d failed%n", ops, failures.size() - before);

        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("%ngpu-suite: %s (%d failures, %.1f s)%n", failures.isEmpty() ? "PASS" : "FAIL", failures.size(), s);
        int shown = 0;
        for (String f : failures) {
            if (!verbose && shown++ >= 30) {
                System.out.println("... (" + (failures.size() - 30) + " more; use --verbose)");
                break;
            }
            System.out.println("FAIL " + f);
        }
        return failures.isEmpty() ? 0 : 1;
    }

    /** float32 products: cuBLAS accumulates in float, the Java kernels in double (k up to 300 terms). */
    private static final Tolerance GEMM_F32 = new Tolerance(1e-4, 1e-5, "float32 accumulation in cuBLAS");

    private static Tensor random(DType dt, SplittableRandom r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble(-3, 3);
        if (dt == DType.F64) return Tensor.of(v, shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    /** The linear and softmax groups of the CUDA backend against the Java backend's, on random matrices. */
    static int opChecks(List<String> failures) {
        var cuda = CudaBackend.INSTANCE;
        var java = org.loss4j.internal.java.JavaBackend.INSTANCE;
        Device gpu = cuda.device();
        SplittableRandom r = new SplittableRandom(7);
        int count = 0;
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tolerance tol = dt == DType.F32 ? GEMM_F32 : Tolerance.F64;
            for (long[] mkn : new long[][] {{1, 1, 1}, {3, 5, 7}, {17, 0, 4}, {64, 300, 33}, {257, 31, 129}}) {
                long m = mkn[0], k = mkn[1], n = mkn[2];
                String what = "[ops] " + dt.torchName() + " m=" + m + " k=" + k + " n=" + n + " ";
                try {
                    Tensor a = random(dt, r, m, k), b = random(dt, r, n, k), bias = random(dt, r, n);
                    Tensor want = Tensor.zeros(dt, m, n), got = Tensor.zeros(gpu, dt, m, n);
                    java.linear().linear(a, b, bias, m, k, n, want);
                    cuda.linear().linear(a.copyTo(gpu), b.copyTo(gpu), bias.copyTo(gpu), m, k, n, got);
                    count++;
                    String f = close(what + "linear", got.toHost(), want, tol);
                    if (f != null) failures.add(f);
                    Tensor b2 = random(dt, r, k, n);
                    java.linear().matmul(a, b2, m, k, n, want);
                    cuda.linear().matmul(a.copyTo(gpu), b2.copyTo(gpu), m, k, n, got);
                    count++;
                    f = close(what + "matmul", got.toHost(), want, tol);
                    if (f != null) failures.add(f);
                    Tensor at = random(dt, r, k, m);
                    java.linear().matmulTransposeA(at, b2, k, m, n, want);
                    cuda.linear().matmulTransposeA(at.copyTo(gpu), b2.copyTo(gpu), k, m, n, got);
                    count++;
                    f = close(what + "matmulTransposeA", got.toHost(), want, tol);
                    if (f != null) failures.add(f);
                    // rows: every other row of a, gathered then scattered back into zeros
                    long rr = (m + 1) / 2;
                    long[] idx = new long[(int) rr];
                    for (int i = 0; i < rr; i++) idx[i] = 2L * i;
                    Tensor rows = Tensor.of(idx, rr);
                    Tensor gw = Tensor.zeros(dt, rr, k), gg = Tensor.zeros(gpu, dt, rr, k);
                    java.linear().gatherRows(a, rows, rr, k, gw);
                    cuda.linear().gatherRows(a.copyTo(gpu), rows.copyTo(gpu), rr, k, gg);
                    count++;
                    f = close(what + "gatherRows", gg.toHost(), gw, Tolerance.of(dt));
                    if (f != null) failures.add(f);
                    Tensor sw = Tensor.zeros(dt, m, k), sg = Tensor.zeros(gpu, dt, m, k);
                    java.linear().scatterAddRows(gw, rows, rr, k, sw);
                    cuda.linear().scatterAddRows(gw.copyTo(gpu), rows.copyTo(gpu), rr, k, sg);
                    count++;
                    f = close(what + "scatterAddRows", sg.toHost(), sw, Tolerance.of(dt));
                    if (f != null) failures.add(f);
                    // softmax over the middle dimension of (m, n, k) viewed [m, n, k]
                    Tensor x = random(dt, r, m, n, Math.max(1, k % 5));
                    long inner = Math.max(1, k % 5);
                    Tensor lw = Tensor.zeros(dt, x.shape()), lg = Tensor.zeros(gpu, dt, x.shape());
                    java.softmax().logSoftmax(x, m, n, inner, lw);
                    Tensor xg = x.copyTo(gpu);
                    cuda.softmax().logSoftmax(xg, m, n, inner, lg);
                    count++;
                    f = close(what + "logSoftmax", lg.toHost(), lw, tol);
                    if (f != null) failures.add(f);
                    Tensor go = random(dt, r, x.shape());
                    Tensor bw = Tensor.zeros(dt, x.shape()), bg = go.copyTo(gpu);
                    java.softmax().logSoftmaxBackward(go, lw, m, n, inner, bw);
                    cuda.softmax().logSoftmaxBackward(bg, lg, m, n, inner, bg); // in place, as cross-entropy does
                    count++;
                    f = close(what + "logSoftmaxBackward", bg.toHost(), bw, tol);
                    if (f != null) failures.add(f);
                    java.softmax().softmax(x, m, n, inner, lw);
                    cuda.softmax().softmax(xg, m, n, inner, lg);
                    count++;
                    f = close(what + "softmax", lg.toHost(), lw, tol);
                    if (f != null) failures.add(f);
                } catch (RuntimeException e) {
                    failures.add(what + e);
                }
            }
        }
        return count;
    }

    /** Random arguments of {@code loss} with {@code n} elements (valid: targets in their ranges). */
    static Tensor[] sample(String loss, long n, DType dt, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = Math.toIntExact(n);
        double[] a = new double[len], b = new double[len], c = new double[len];
        for (int i = 0; i < len; i++) {
            a[i] = r.nextDouble(-3, 3);
            b[i] = r.nextDouble(-3, 3);
            c[i] = r.nextBoolean() ? 1 : -1;
        }
        switch (loss) {
            case "KLDivLoss", "BCEWithLogitsLoss", "BCELoss" -> {
                for (int i = 0; i < len; i++) b[i] = r.nextDouble();
                if (loss.equals("BCELoss")) for (int i = 0; i < len; i++) a[i] = r.nextDouble(0.01, 0.99);
                if (loss.equals("KLDivLoss")) for (int i = 0; i < len; i++) a[i] = -r.nextDouble(0, 5);
            }
            case "HingeEmbeddingLoss", "SoftMarginLoss" -> System.arraycopy(c, 0, b, 0, len);
            default -> { }
        }
        Tensor ta = Tensor.of(dt, a, n), tb = Tensor.of(dt, b, n);
        return loss.equals("MarginRankingLoss") ? new Tensor[] {ta, tb, Tensor.of(dt, c, n)} : new Tensor[] {ta, tb};
    }

    /** Null if the CUDA backend agrees with the Java backend on loss and every gradient, else what differs. */
    static String compare(String lossName, long n, DType dt, Reduction red, Backend cuda) {
        Tensor[] host = sample(lossName, n, dt, 31 * n + lossName.hashCode() + dt.ordinal());
        Loss java = Losses.fromPyTorch(lossName, Map.of("reduction", red.torchName())).on(Backends.java());
        Loss gpu = Losses.fromPyTorch(lossName, Map.of("reduction", red.torchName())).on(cuda);
        Tensor gradOut = null;
        if (red == Reduction.NONE) {
            gradOut = Tensor.zeros(dt, n);
            for (long i = 0; i < n; i++) gradOut.setDouble(i, 1.0 - (i % 3) * 0.5);
        }
        LossResult ref = java.backward(gradOut, host);
        Tensor[] dev = VectorRunner.onDevice(host, cuda);
        LossResult got = gpu.backward(gradOut == null ? null : gradOut.copyTo(Device.cuda(0)), dev);
        Tensor fwd = VectorRunner.host(gpu.forward(dev));
        Tolerance tol = Tolerance.of(dt);
        String m = close("loss", VectorRunner.host(got.loss()), ref.loss(), tol);
        if (m == null) m = close("forward", fwd, ref.loss(), tol);
        for (Map.Entry<String, Tensor> e : ref.gradients().entrySet()) {
            if (m != null) break;
            Tensor g = got.gradients().get(e.getKey());
            m = g == null ? "no gradient for " + e.getKey() : close("grad " + e.getKey(), VectorRunner.host(g), e.getValue(), tol);
        }
        return m;
    }

    static String close(String what, Tensor actual, Tensor expected, Tolerance tol) {
        if (actual.numel() != expected.numel()) return what + ": " + actual.numel() + " elements, expected " + expected.numel();
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i), e = expected.getDouble(i);
            if (!tol.accepts(a, e)) return what + "[" + i + "] = " + a + ", java " + e;
        }
        return null;
    }
}

package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.loss4j.loss.BCELoss;
import org.loss4j.loss.BCEWithLogitsLoss;
import org.loss4j.loss.GaussianNLLLoss;
import org.loss4j.loss.HingeEmbeddingLoss;
import org.loss4j.loss.HuberLoss;
import org.loss4j.loss.KLDivLoss;
import org.loss4j.loss.L1Loss;
import org.loss4j.loss.Loss;
import org.loss4j.loss.MSELoss;
import org.loss4j.loss.MarginRankingLoss;
import org.loss4j.loss.PoissonNLLLoss;
import org.loss4j.loss.SmoothL1Loss;
import org.loss4j.loss.SoftMarginLoss;

/**
 * Issue 5's allocation target: in steady state, a loss with reduction mean/sum called through
 * {@code forwardInto}/{@code forwardBackwardInto} into caller tensors allocates nothing on the Java heap. Measured
 * with the thread's allocation counter over 10,000 warm calls (the argument arrays are built once by the caller).
 */
class ZeroAllocationTest {

    private static final int CALLS = 10_000;
    private static final int WARM = 20_000;

    private static Tensor uniform(DType dt, Random r, double lo, double hi, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return Tensor.of(dt, v, shape);
    }

    private static Tensor signs(DType dt, Random r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < n; i++) v[i] = r.nextBoolean() ? 1 : -1;
        return Tensor.of(dt, v, shape);
    }

    private record Case(String name, Loss loss, Tensor[] args) {}

    private static List<Case> cases(DType dt) {
        Random r = new Random(5);
        long[] s = {4, 25};
        List<Case> cases = new ArrayList<>();
        for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            Backend j = Backends.java();
            cases.add(new Case("MSELoss", MSELoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -1, 1, s), uniform(dt, r, -1, 1, s)}));
            cases.add(new Case("L1Loss", L1Loss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -1, 1, s), uniform(dt, r, -1, 1, s)}));
            cases.add(new Case("SmoothL1Loss", SmoothL1Loss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -2, 2, s), uniform(dt, r, -2, 2, s)}));
            cases.add(new Case("HuberLoss", HuberLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -2, 2, s), uniform(dt, r, -2, 2, s)}));
            cases.add(new Case("SoftMarginLoss", SoftMarginLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -2, 2, s), signs(dt, r, s)}));
            cases.add(new Case("MarginRankingLoss", MarginRankingLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -2, 2, s), uniform(dt, r, -2, 2, s), signs(dt, r, s)}));
            cases.add(new Case("HingeEmbeddingLoss", HingeEmbeddingLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -2, 2, s), signs(dt, r, s)}));
            cases.add(new Case("BCELoss", BCELoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, 0.01, 0.99, s), uniform(dt, r, 0, 1, s)}));
            cases.add(new Case("BCEWithLogitsLoss", BCEWithLogitsLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -3, 3, s), uniform(dt, r, 0, 1, s)}));
            cases.add(new Case("KLDivLoss", KLDivLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -3, 0, s), uniform(dt, r, 0, 1, s)}));
            cases.add(new Case("PoissonNLLLoss", PoissonNLLLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -1, 1, s), uniform(dt, r, 0, 3, s)}));
            cases.add(new Case("GaussianNLLLoss", GaussianNLLLoss.builder().reduction(red).backend(j).build(),
                    new Tensor[] {uniform(dt, r, -1, 1, s), uniform(dt, r, -1, 1, s), uniform(dt, r, 0.1, 2, s)}));
        }
        return cases;
    }

    /** The thread's allocation counter (reflective: the test classes compile inside the module, which reads no management). */
    private static final Object BEAN;
    private static final MethodHandle ALLOCATED;

    static {
        try {
            BEAN = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            ALLOCATED = MethodHandles.publicLookup()
                    .unreflect(Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes"))
                    .asType(MethodType.methodType(long.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static long allocated() {
        try {
            return (long) ALLOCATED.invokeExact(BEAN);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static String measure(DType dt) {
        StringBuilder failures = new StringBuilder();
        for (Case c : cases(dt)) {
            Tensor out = Tensor.zeros(dt);
            Tensor[] grads = new Tensor[c.args.length];
            for (int i = 0; i < grads.length; i++) {
                if (c.loss.differentiableArguments().contains(c.loss.argumentNames().get(i))) {
                    grads[i] = Tensor.zeros(dt, c.args[i].shape());
                }
            }
            Tensor[] args = c.args;
            for (int i = 0; i < WARM; i++) {
                c.loss.forwardInto(out, args);
                c.loss.forwardBackwardInto(out, grads, null, args);
            }
            // steady state: the best of up to 40 rounds. Until C2 has compiled the vector kernels (its queue can be
            // long while the rest of the suite runs), the interpreter and C1 box vectors; a round waits a little for it.
            long forward = Long.MAX_VALUE;
            long fused = Long.MAX_VALUE;
            for (int round = 0; round < 40 && (forward > 0 || fused > 0); round++) {
                if (round > 0) pause();
                long before = allocated();
                for (int i = 0; i < CALLS; i++) c.loss.forwardInto(out, args);
                forward = Math.min(forward, allocated() - before);
                before = allocated();
                for (int i = 0; i < CALLS; i++) c.loss.forwardBackwardInto(out, grads, null, args);
                fused = Math.min(fused, allocated() - before);
            }
            if (forward > 0 || fused > 0) {
                failures.append(String.format("%n  %s(%s) %s: forwardInto %.2f B/call, forwardBackwardInto %.2f B/call",
                        c.name, c.loss.reduction().torchName(), dt.torchName(), (double) forward / CALLS, (double) fused / CALLS));
            }
        }
        return failures.toString();
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void pointwiseLossesAllocateNothingPerCallIntoCallerTensors() {
        String f = measure(DType.F32) + measure(DType.F64);
        assertTrue(f.isEmpty(), "bytes allocated per call in steady state (must be 0):" + f);
    }
}

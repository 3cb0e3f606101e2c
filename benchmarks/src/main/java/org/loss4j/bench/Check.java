package org.loss4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.loss4j.DType;

/**
 * {@code run.sh check}: every workload through every implementation on the same data, one forward+backward each:
 * the loss and the sum of |gradient| of each gradient argument side by side, with the largest relative difference to
 * the first implementation that ran. A wiring test of the benchmark (same data, same options), not a precision test:
 * that is the PyTorch vector suite's job.
 */
final class Check {

    private Check() {}

    static int run(List<String> args) {
        String size = "small";
        List<String> impls = new ArrayList<>();
        for (String a : args) {
            if (Workloads.SIZES.contains(a)) size = a;
            else impls.add(a);
        }
        if (impls.isEmpty()) impls.addAll(Impls.DEFAULT);
        int bad = 0;
        for (String loss : Workloads.losses()) {
            Workload w = Workloads.get(loss, size);
            double[] ref = null;
            String refName = null;
            for (String impl : impls) {
                String line;
                try (Impl run = Impls.create(impl, w, DType.F32, "default", 1)) {
                    double[] v = run.probe();
                    double worst = 0;
                    if (ref == null) {
                        ref = v;
                        refName = impl;
                    } else {
                        for (int i = 0; i < Math.min(v.length, ref.length); i++) {
                            worst = Math.max(worst, Math.abs(v[i] - ref[i]) / Math.max(1e-12, Math.abs(ref[i])));
                        }
                        if (!(worst <= 1e-3) || v.length != ref.length) bad++;
                    }
                    StringBuilder sb = new StringBuilder();
                    for (double d : v) sb.append(String.format(Locale.ROOT, " %.6g", d));
                    line = String.format(Locale.ROOT, "%-30s %-7s %-7s%s%s", loss, size, impl, sb,
                            ref == v ? "" : String.format(Locale.ROOT, "   max rel diff vs %s %.2e", refName, worst));
                } catch (RuntimeException | LinkageError e) {
                    line = String.format(Locale.ROOT, "%-30s %-7s %-7s FAILED: %s", loss, size, impl, e);
                    bad++;
                }
                System.out.println(line);
            }
        }
        System.out.println(bad == 0 ? "check: all implementations agree" : "check: " + bad + " disagreements or failures");
        return bad == 0 ? 0 : 1;
    }
}

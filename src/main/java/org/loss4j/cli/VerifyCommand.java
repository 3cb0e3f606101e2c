package org.loss4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.internal.vectors.Json;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.internal.vectors.VectorRunner;
import org.loss4j.internal.vectors.VectorSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code loss4j verify}: every bundled PyTorch vector on every backend, one table row per loss and backend. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Run the PyTorch reference vectors on each available backend and compare (exit 1 on any failure).")
final class VerifyCommand implements Callable<Integer> {

    @Option(names = "--backend", description = "Backend(s) to check (default: every available one).")
    List<String> backends = new ArrayList<>();

    @Option(names = "--loss", description = "Only these losses (PyTorch names, e.g. CrossEntropyLoss).")
    List<String> losses = new ArrayList<>();

    @Option(names = "--vectors", description = "A test-vectors/data directory instead of the vectors bundled in the jar.")
    Path vectorsDir;

    @Option(names = "--json", description = "Also write the results as JSON to this file.")
    Path json;

    @Option(names = {"-v", "--verbose"}, description = "Print every failing case with what differed.")
    boolean verbose;

    /** Per loss, backend and dtype: cases, passed, worst errors, first failures. */
    static final class Row {
        final String loss;
        final String backend;
        final String dtype;
        int cases;
        int passed;
        double maxAbs;
        double maxRel;
        double tolUsed;
        final List<String> failures = new ArrayList<>();

        Row(String loss, String backend, String dtype) {
            this.loss = loss;
            this.backend = backend;
            this.dtype = dtype;
        }
    }

    @Override
    public Integer call() throws IOException {
        // The vectors are small: check the native kernels themselves, not the Java path oneDNN takes for tiny calls.
        if (System.getProperty(org.loss4j.internal.Config.ONEDNN_MIN_ELEMENTS.property()) == null) {
            System.setProperty(org.loss4j.internal.Config.ONEDNN_MIN_ELEMENTS.property(), "0");
        }
        VectorSet set = vectorsDir != null ? VectorSet.fromDirectory(vectorsDir) : VectorSet.load();
        List<Backend> chosen = new ArrayList<>();
        if (backends.isEmpty()) {
            chosen.addAll(Backends.available());
        } else {
            for (String b : backends) chosen.add(Backends.get(b));
        }
        List<String> names = losses.isEmpty() ? set.losses() : losses;
        System.out.printf("loss4j verify: PyTorch %s vectors (%s) on %s%n", set.torchVersion(), set.source(),
                chosen.stream().map(Backend::name).toList());
        for (Backend b : Backends.all()) {
            if (!b.isAvailable()) System.out.printf("  %s: skipped (unavailable: %s)%n", b.name(), b.unavailableReason());
        }
        List<Row> rows = new ArrayList<>();
        long start = System.nanoTime();
        for (String loss : names) {
            List<VectorCase> cases = set.cases(loss);
            for (Backend b : chosen) {
                Map<String, Row> byDtype = new java.util.TreeMap<>();
                for (VectorCase c : cases) {
                    VectorRunner.Outcome o = VectorRunner.run(c, b);
                    Row r = byDtype.computeIfAbsent(o.dtype(), d -> new Row(loss, b.name(), d));
                    r.cases++;
                    if (o.passed()) r.passed++;
                    else r.failures.add(c.name() + ": " + o.detail());
                    r.maxAbs = Math.max(r.maxAbs, o.maxAbs());
                    r.maxRel = Math.max(r.maxRel, o.maxRel());
                    r.tolUsed = Math.max(r.tolUsed, o.tolUsed());
                }
                rows.addAll(byDtype.values());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        printTable(rows);
        int total = rows.stream().mapToInt(r -> r.cases).sum();
        int passed = rows.stream().mapToInt(r -> r.passed).sum();
        System.out.printf("%n%d passed, %d failed (%d cases x backends, %.1f s)%n", passed, total - passed, total, seconds);
        if (verbose || total != passed) {
            int shown = 0;
            for (Row r : rows) {
                for (String f : r.failures) {
                    if (!verbose && shown >= 20) break;
                    System.out.println("FAIL [" + r.backend + "] " + f);
                    shown++;
                }
            }
            if (!verbose && total - passed > shown) System.out.println("... (" + (total - passed - shown) + " more; use --verbose)");
        }
        if (json != null) writeJson(set, rows, passed, total);
        return passed == total ? 0 : 1;
    }

    private static void printTable(List<Row> rows) {
        System.out.printf("%n%-30s %-7s %-5s %6s %6s %6s %10s %10s %8s%n", "loss", "backend", "dtype", "cases", "passed", "failed",
                "worst abs", "worst rel", "tol used");
        for (Row r : rows) {
            System.out.printf("%-30s %-7s %-5s %6d %6d %6d %10.2e %10.2e %7.0f%%%n", r.loss, r.backend, r.dtype, r.cases, r.passed,
                    r.cases - r.passed, r.maxAbs, r.maxRel, 100 * r.tolUsed);
        }
        System.out.println("worst abs: |loss4j - PyTorch| where |PyTorch| <= 1; worst rel: |loss4j - PyTorch| / |PyTorch| where"
                + " |PyTorch| > 1; tol used: the largest share of the tolerance (abs + rel |PyTorch|) any element used."
                + " dtype '-': error cases without a floating argument.");
    }

    private void writeJson(VectorSet set, List<Row> rows, int passed, int total) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("torch", set.torchVersion());
        root.put("vectors", set.source());
        root.put("system", SystemInfo.collect());
        root.put("passed", passed);
        root.put("failed", total - passed);
        List<Object> list = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", r.loss);
            m.put("backend", r.backend);
            m.put("dtype", r.dtype);
            m.put("cases", r.cases);
            m.put("passed", r.passed);
            m.put("failed", r.cases - r.passed);
            m.put("worst_abs", r.maxAbs);
            m.put("worst_rel", r.maxRel);
            m.put("tolerance_used", r.tolUsed);
            m.put("failures", r.failures);
            list.add(m);
        }
        root.put("results", list);
        Files.writeString(json, Json.write(root) + "\n", StandardCharsets.UTF_8);
        System.out.println("wrote " + json);
    }
}

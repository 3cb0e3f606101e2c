package org.loss4j.bench;

import org.loss4j.internal.vectors.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.loss4j.DType;
import org.loss4j.cli.Charts;

/**
 * Charts of a JMH result file ({@code run.sh charts RESULT.json...}), PNG beside it:
 * <ul>
 *   <li>{@code <stem>-<loss>-<size>.png} per workload (suffixed with dtype and reduction when not f32/default):
 *       time per call (JMH median, log scale) of each implementation (java, onednn, torch) for forward and
 *       forward+backward at each thread count; below it the GB/s of each implementation against the read roof
 *       (bandwidth {@code sum}) of the same thread count;</li>
 *   <li>{@code <stem>-headline.png}: every workload, best loss4j backend vs libtorch, best of threads (the README's).</li>
 * </ul>
 * Same figures as {@link Summary}'s tables; the drawing is loss4j's {@code org.loss4j.cli.Charts} (XChart, headless).
 */
public final class ResultCharts {

    private ResultCharts() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: run.sh charts RESULT.json...   (writes <stem>-<loss>-<size>.png and <stem>-headline.png beside it)");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        for (String a : args) {
            List<Path> written = write(Path.of(a));
            System.out.println("charts: " + written.size() + " PNG files beside " + a + (written.isEmpty() ? "" : " (" + written.get(0).getFileName() + ", ...)"));
        }
    }

    /** One loss benchmark: workload key, call (forward/forwardBackward), threads, impl, median seconds. */
    record Run(String loss, String size, String dtype, String reduction, String method, int threads, String impl, double seconds) {
        String workload() {
            return loss + "|" + size + "|" + dtype + "|" + reduction;
        }
    }

    /** Writes every chart of {@code json} and returns their paths. */
    public static List<Path> write(Path json) throws IOException {
        List<?> data = (List<?>) Json.parse(Files.readString(json));
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        Map<Integer, Double> roof = new TreeMap<>();
        List<Run> runs = new ArrayList<>();
        for (Object o : data) {
            Map<?, ?> r = (Map<?, ?>) o;
            String bench = (String) r.get("benchmark");
            String cls = bench.substring(0, bench.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            Map<?, ?> p = r.get("params") instanceof Map<?, ?> pm ? pm : Map.of();
            Map<?, ?> pmx = (Map<?, ?>) r.get("primaryMetric");
            double score = pmx.get("scorePercentiles") instanceof Map<?, ?> pc && pc.get("50.0") instanceof Number n
                    ? n.doubleValue() : ((Number) pmx.get("score")).doubleValue();
            double sec = Summary.seconds(score, (String) pmx.get("scoreUnit"));
            int threads = p.get("threads") == null ? 1 : Integer.parseInt(String.valueOf(p.get("threads")));
            if (cls.equals("BandwidthBench")) {
                if (method.equals("sum")) {
                    int mb = Integer.parseInt(String.valueOf(p.get("mb")));
                    roof.merge(threads, BandwidthBench.bytes(method, mb) / sec / 1e9, Math::max);
                }
                continue;
            }
            if (p.get("loss") == null) continue;
            runs.add(new Run(String.valueOf(p.get("loss")), String.valueOf(p.get("size")), String.valueOf(p.get("dtype")),
                    String.valueOf(p.get("reduction")), method, threads, String.valueOf(p.get("impl")), sec));
        }
        Map<String, List<Run>> byWorkload = new LinkedHashMap<>();
        for (Run r : runs) byWorkload.computeIfAbsent(r.workload(), k -> new ArrayList<>()).add(r);
        List<String> keys = new ArrayList<>(byWorkload.keySet());
        keys.sort(Comparator.comparing((String k) -> Workloads.losses().indexOf(k.split("\\|")[0]))
                .thenComparing(k -> Workloads.SIZES.indexOf(k.split("\\|")[1])).thenComparing(k -> k));

        List<Path> written = new ArrayList<>();
        for (String k : keys) {
            String[] f = k.split("\\|");
            String suffix = (f[2].equalsIgnoreCase("f32") ? "" : "-" + f[2]) + (f[3].equals("default") ? "" : "-" + f[3]);
            Path file = json.resolveSibling(stem + "-" + f[0] + "-" + f[1] + suffix + ".png");
            Charts.write(file, workloadPanels(f, byWorkload.get(k), roof));
            written.add(file);
        }
        if (!keys.isEmpty()) {
            Path file = json.resolveSibling(stem + "-headline.png");
            Charts.write(file, headline(keys, byWorkload));
            written.add(file);
        }
        return written;
    }

    private static String call(String method) {
        return method.equals("forward") ? "forward" : "fwd+bwd";
    }

    private static List<Charts.Panel> workloadPanels(String[] f, List<Run> runs, Map<Integer, Double> roof) {
        List<String> cats = new ArrayList<>();
        List<String> impls = new ArrayList<>();
        runs.sort(Comparator.comparing((Run r) -> r.method().equals("forward") ? 0 : 1).thenComparing(Run::threads));
        for (Run r : runs) {
            String c = call(r.method()) + ", " + r.threads() + (r.threads() == 1 ? " thread" : " threads");
            if (!cats.contains(c)) cats.add(c);
            if (!impls.contains(r.impl())) impls.add(r.impl());
        }
        impls.sort(Comparator.comparing((String i) -> Impls.PEERS.containsKey(i) ? 1 : 0).thenComparing(i -> i));
        long[] bytes = null; // forward, forward+backward
        String shape = "";
        try {
            Workload w = Workloads.get(f[0], f[1]);
            DType dt = DType.parse(f[2]);
            bytes = new long[] {w.inputBytes(dt), w.inputBytes(dt) + w.gradBytes(dt)};
            shape = " " + w.shapeText();
        } catch (RuntimeException ignored) {
            // a workload renamed since the run: no GB/s panel
        }
        List<Charts.Series> time = new ArrayList<>(), gbs = new ArrayList<>();
        for (String impl : impls) {
            double[] tv = new double[cats.size()], gv = new double[cats.size()];
            java.util.Arrays.fill(tv, Double.NaN);
            java.util.Arrays.fill(gv, Double.NaN);
            for (Run r : runs) {
                if (!r.impl().equals(impl)) continue;
                int i = cats.indexOf(call(r.method()) + ", " + r.threads() + (r.threads() == 1 ? " thread" : " threads"));
                tv[i] = r.seconds();
                if (bytes != null) gv[i] = bytes[r.method().equals("forward") ? 0 : 1] / r.seconds() / 1e9;
            }
            String label = Impls.PEERS.containsKey(impl) ? impl.equals("torch") ? "libtorch" : impl : "loss4j " + impl;
            time.add(new Charts.Series(label, tv, false));
            gbs.add(new Charts.Series(label, gv, false));
        }
        String title = f[0] + shape + " (" + f[1] + ", " + f[2] + ", reduction " + f[3] + ")";
        List<Charts.Panel> panels = new ArrayList<>();
        panels.add(new Charts.Panel(title + ": time per call, JMH median (lower is better)", "seconds per call", cats, time, true));
        if (bytes != null) {
            if (!roof.isEmpty()) {
                double[] rv = new double[cats.size()];
                for (int i = 0; i < cats.size(); i++) {
                    int t = Integer.parseInt(cats.get(i).replaceAll("^.*, (\\d+) threads?$", "$1"));
                    rv[i] = roof.getOrDefault(t, Double.NaN);
                }
                gbs.add(new Charts.Series("read roof (sum)", rv, true));
            }
            panels.add(new Charts.Panel("GB/s = bytes of the arguments (+ gradients) / time" + (roof.isEmpty() ? "" : ", against the read roof"),
                    "GB/s", cats, gbs, false));
        }
        return panels;
    }

    /** Best of threads per workload and call: best loss4j backend vs the peers. */
    private static List<Charts.Panel> headline(List<String> keys, Map<String, List<Run>> byWorkload) {
        List<Charts.Panel> panels = new ArrayList<>();
        for (String method : List.of("forward", "forwardBackward")) {
            List<String> cats = new ArrayList<>();
            List<Double> ours = new ArrayList<>();
            Map<String, List<Double>> peers = new TreeMap<>();
            for (String k : keys) {
                double best = Double.NaN;
                Map<String, Double> peer = new TreeMap<>();
                boolean any = false;
                for (Run r : byWorkload.get(k)) {
                    if (!r.method().equals(method)) continue;
                    any = true;
                    if (Impls.PEERS.containsKey(r.impl())) peer.merge(r.impl(), r.seconds(), Math::min);
                    else if (!(r.seconds() >= best)) best = r.seconds();
                }
                if (!any) continue;
                String[] f = k.split("\\|");
                cats.add(f[0].replace("Loss", "") + " " + f[1] + (f[2].equalsIgnoreCase("f32") ? "" : " " + f[2]));
                ours.add(best);
                for (String p : Impls.PEERS.keySet()) peers.computeIfAbsent(p, x -> new ArrayList<>());
                for (Map.Entry<String, List<Double>> e : peers.entrySet()) e.getValue().add(peer.getOrDefault(e.getKey(), Double.NaN));
            }
            if (cats.isEmpty()) continue;
            List<Charts.Series> series = new ArrayList<>();
            series.add(new Charts.Series("loss4j (best backend)", ours.stream().mapToDouble(Double::doubleValue).toArray(), false));
            for (Map.Entry<String, List<Double>> e : peers.entrySet()) {
                if (e.getValue().stream().allMatch(v -> v.isNaN())) continue;
                series.add(new Charts.Series(e.getKey().equals("torch") ? "libtorch" : e.getKey(),
                        e.getValue().stream().mapToDouble(Double::doubleValue).toArray(), false));
            }
            panels.add(new Charts.Panel(String.format(Locale.ROOT, "%s: time per call, best of threads (JMH median, lower is better)",
                    method.equals("forward") ? "Forward" : "Forward + backward"), "seconds per call", cats, series, true));
        }
        return panels;
    }
}

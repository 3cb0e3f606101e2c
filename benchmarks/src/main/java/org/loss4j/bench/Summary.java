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

/**
 * Reads a JMH JSON result file and writes the summary beside it ({@code <stem>.md}): the memory roof (GB/s of the
 * bandwidth probe), then per workload the median time per call of each implementation, the ratio libtorch / best
 * loss4j backend, the GB/s of the best loss4j backend against the read roof of the same thread count, and the bytes
 * allocated per call ({@code -prof gc}). Medians are JMH's 50th percentile over the measurement iterations.
 */
public final class Summary {

    private Summary() {}

    record Cell(double seconds, double allocBytes) {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: Summary RESULT.json...");
            System.exit(2);
        }
        for (String a : args) System.out.print(write(Path.of(a)));
    }

    /** Writes {@code <stem>.md} beside {@code json} and returns its text. */
    public static String write(Path json) throws IOException {
        String md = summarize(json);
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        Files.writeString(json.resolveSibling(stem + ".md"), md);
        return md;
    }

    static String summarize(Path json) throws IOException {
        List<?> runs = (List<?>) Json.parse(Files.readString(json));
        StringBuilder out = new StringBuilder();
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        out.append("# loss4j benchmarks: ").append(stem).append("\n\n");
        Path meta = json.resolveSibling(stem + ".meta.json");
        if (Files.exists(meta)) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(meta));
            for (String k : List.of("cpu", "isa", "processors", "java", "loss4j_commit", "libtorch", "onednn", "command")) {
                Object v = m.get(k);
                if (v instanceof Double d && d == Math.rint(d)) v = d.longValue();
                if (v != null) out.append("- ").append(k).append(": `").append(v).append("`\n");
            }
            out.append('\n');
        }
        out.append("Median time per call (JMH, the 50th percentile over measurement iterations); ratio = libtorch / best loss4j"
                + " backend at the same threads (> 1: loss4j faster); GB/s = bytes of the arguments (and gradients) / time of"
                + " the best loss4j backend, % of the read roof (bandwidth `sum`) at the same threads; alloc = bytes"
                + " allocated per call (`-prof gc`, blank without it).\n\n");

        // ---------------------------------------------------------------- roof
        Map<Integer, Double> roof = new TreeMap<>();
        StringBuilder bw = new StringBuilder();
        Map<String, Map<String, Cell>> losses = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<?, ?> r = (Map<?, ?>) o;
            String bench = (String) r.get("benchmark");
            String cls = bench.substring(0, bench.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            Map<?, ?> p = r.get("params") instanceof Map<?, ?> pm ? pm : Map.of();
            Map<?, ?> pmx = (Map<?, ?>) r.get("primaryMetric");
            double sec = seconds(median(pmx), (String) pmx.get("scoreUnit"));
            double alloc = Double.NaN;
            if (r.get("secondaryMetrics") instanceof Map<?, ?> sm && sm.get("gc.alloc.rate.norm") instanceof Map<?, ?> g) {
                alloc = ((Number) g.get("score")).doubleValue();
            }
            if (cls.equals("BandwidthBench")) {
                int t = Integer.parseInt(String.valueOf(p.get("threads")));
                int mb = Integer.parseInt(String.valueOf(p.get("mb")));
                double gbs = BandwidthBench.bytes(method, mb) / sec / 1e9;
                bw.append(String.format(Locale.ROOT, "| %s | %s | %d | %d MiB | %.1f |%n", method, p.get("kernel"), t, mb, gbs));
                if (method.equals("sum")) roof.merge(t, gbs, Math::max);
                continue;
            }
            String key = String.join("|", String.valueOf(p.get("loss")), String.valueOf(p.get("size")), String.valueOf(p.get("dtype")),
                    String.valueOf(p.get("reduction")), method, String.valueOf(p.get("threads")));
            losses.computeIfAbsent(key, k -> new TreeMap<>()).put(String.valueOf(p.get("impl")), new Cell(sec, alloc));
        }
        if (bw.length() > 0) {
            out.append("## Memory roof\n\n| probe | kernel | threads | size | GB/s |\n|---|---|---|---|---|\n").append(bw).append('\n');
        }
        if (losses.isEmpty()) return out.toString();

        List<String> keys = new ArrayList<>(losses.keySet());
        keys.sort(Comparator.comparing((String k) -> Workloads.losses().indexOf(k.split("\\|")[0]))
                .thenComparing(k -> Workloads.SIZES.indexOf(k.split("\\|")[1]))
                .thenComparing(k -> k.split("\\|")[2] + k.split("\\|")[3])
                .thenComparing(k -> k.split("\\|")[4].equals("forward") ? 0 : 1)
                .thenComparing(k -> k.split("\\|")[5]));

        // ---------------------------------------------------------------- headline: best of threads
        out.append("## Best of threads\n\n| loss | size | shape | call | best loss4j | libtorch | libtorch / loss4j |\n|---|---|---|---|---|---|---|\n");
        Map<String, double[]> best = new LinkedHashMap<>();
        Map<String, String> bestWho = new LinkedHashMap<>();
        for (String k : keys) {
            String[] f = k.split("\\|");
            String key = String.join("|", f[0], f[1], f[2], f[3], f[4]);
            double[] b = best.computeIfAbsent(key, x -> new double[] {Double.NaN, Double.NaN});
            for (Map.Entry<String, Cell> e : losses.get(k).entrySet()) {
                double s = e.getValue().seconds();
                if (Impls.PEERS.containsKey(e.getKey())) {
                    if (!(s >= b[1])) b[1] = s;
                } else if (!(s >= b[0])) {
                    b[0] = s;
                    bestWho.put(key, e.getKey() + ", " + f[5] + "t");
                }
            }
        }
        for (Map.Entry<String, double[]> e : best.entrySet()) {
            String[] f = e.getKey().split("\\|");
            double[] b = e.getValue();
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s (%s) | %s | %s |%n", f[0], f[1], shape(f[0], f[1]), f[4],
                    time(b[0]), bestWho.getOrDefault(e.getKey(), "-"), time(b[1]), ratio(b[1], b[0])));
        }

        // ---------------------------------------------------------------- detail
        out.append("\n## Every run\n\n| loss | size | dtype | reduction | call | threads | java | onednn | torch | libtorch / best |"
                + " GB/s | % roof | alloc B/call java / onednn / torch |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String k : keys) {
            String[] f = k.split("\\|");
            Map<String, Cell> c = losses.get(k);
            double bestL = Double.NaN;
            for (Map.Entry<String, Cell> e : c.entrySet()) {
                if (!Impls.PEERS.containsKey(e.getKey()) && !(e.getValue().seconds() >= bestL)) bestL = e.getValue().seconds();
            }
            double torch = c.containsKey("torch") ? c.get("torch").seconds() : Double.NaN;
            double gbs = Double.NaN;
            try {
                Workload w = Workloads.get(f[0], f[1]);
                DType dt = DType.parse(f[2]);
                long bytes = w.inputBytes(dt) + (f[4].equals("forward") ? 0 : w.gradBytes(dt));
                gbs = bytes / bestL / 1e9;
            } catch (RuntimeException ignored) {
                // unknown workload (renamed since the run): no GB/s
            }
            Double rf = roof.get(Integer.parseInt(f[5]));
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |%n",
                    f[0], f[1], f[2], f[3], f[4], f[5], time(c, "java"), time(c, "onednn"), time(c, "torch"), ratio(torch, bestL),
                    Double.isNaN(gbs) ? "" : String.format(Locale.ROOT, "%.2f", gbs),
                    rf == null || Double.isNaN(gbs) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * gbs / rf),
                    alloc(c, "java"), alloc(c, "onednn"), alloc(c, "torch")));
        }
        return out.toString();
    }

    private static String shape(String loss, String size) {
        try {
            return Workloads.get(loss, size).shapeText();
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static double median(Map<?, ?> metric) {
        if (metric.get("scorePercentiles") instanceof Map<?, ?> pc && pc.get("50.0") instanceof Number n) return n.doubleValue();
        return ((Number) metric.get("score")).doubleValue();
    }

    static double seconds(double score, String unit) {
        String u = unit.substring(0, unit.indexOf('/'));
        return switch (u) {
            case "s" -> score;
            case "ms" -> score * 1e-3;
            case "us" -> score * 1e-6;
            case "ns" -> score * 1e-9;
            default -> throw new IllegalArgumentException("unit " + unit + " (use the average-time mode)");
        };
    }

    static String time(double s) {
        if (Double.isNaN(s)) return "-";
        if (s >= 1) return String.format(Locale.ROOT, "%.3g s", s);
        if (s >= 1e-3) return String.format(Locale.ROOT, "%.3g ms", s * 1e3);
        if (s >= 1e-6) return String.format(Locale.ROOT, "%.3g µs", s * 1e6);
        return String.format(Locale.ROOT, "%.3g ns", s * 1e9);
    }

    private static String time(Map<String, Cell> c, String impl) {
        return c.containsKey(impl) ? time(c.get(impl).seconds()) : "-";
    }

    private static String alloc(Map<String, Cell> c, String impl) {
        if (!c.containsKey(impl) || Double.isNaN(c.get(impl).allocBytes())) return "";
        return String.format(Locale.ROOT, "%.0f", c.get(impl).allocBytes());
    }

    private static String ratio(double peer, double ours) {
        if (Double.isNaN(peer) || Double.isNaN(ours)) return "-";
        return String.format(Locale.ROOT, "%.2f×", peer / ours);
    }
}

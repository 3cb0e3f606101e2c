package org.loss4j.bench;

import org.loss4j.internal.vectors.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Entry point of {@code benchmarks/run.sh}.
 * <pre>
 *   run.sh [--out DIR] [JMH options and benchmark regexps]   run JMH; write DIR/&lt;date&gt;-&lt;cpu&gt;.json (JMH's JSON),
 *                                                           .meta.json (machine, versions, command) and .md (summary)
 *   run.sh check [small|medium|large] [impl...]             same data through every implementation: loss and
 *                                                           gradient sums side by side (wiring test, no timing)
 *   run.sh summarize RESULT.json...                         (re)write the summary of a result file
 *   run.sh charts RESULT.json...                            (re)write the charts of a result file (PNG beside it)
 * </pre>
 * DIR defaults to the system property {@code loss4j.bench.results} (run.sh: benchmarks/results), else ./results.
 */
public final class BenchMain {

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("check")) {
            System.exit(Check.run(List.of(args).subList(1, args.length)));
        }
        if (args.length > 0 && args[0].equals("summarize")) {
            Summary.main(List.of(args).subList(1, args.length).toArray(String[]::new));
            return;
        }
        if (args.length > 0 && args[0].equals("charts")) {
            ResultCharts.main(List.of(args).subList(1, args.length).toArray(String[]::new));
            return;
        }
        Path outDir = Path.of(System.getProperty("loss4j.bench.results", "results"));
        List<String> jmh = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) outDir = Path.of(args[++i]);
            else jmh.add(args[i]);
        }
        CommandLineOptions cmd = new CommandLineOptions(jmh.toArray(String[]::new));
        if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
                || cmd.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(jmh.toArray(String[]::new));
            return;
        }
        ChainedOptionsBuilder ob = new OptionsBuilder().parent(cmd);
        Path json;
        if (cmd.getResult().hasValue() || cmd.getResultFormat().hasValue()) {
            // the user chose the result file/format: keep it, summarize only JSON
            boolean isJson = cmd.getResultFormat().orElse(ResultFormatType.CSV) == ResultFormatType.JSON;
            json = isJson ? Path.of(cmd.getResult().orElse("jmh-result.json")) : null;
        } else {
            Files.createDirectories(outDir);
            json = outDir.resolve(stem(outDir) + ".json");
            ob.resultFormat(ResultFormatType.JSON).result(json.toString());
        }
        if (json != null) {
            String n = json.getFileName().toString();
            Path metaFile = json.resolveSibling(n.substring(0, n.length() - (n.endsWith(".json") ? 5 : 0)) + ".meta.json");
            // results are committed: write the home directory as ~ so no machine's paths end up in the repository
            String home = System.getProperty("user.home");
            String metaJson = Json.write(meta(args));
            if (home != null && home.length() > 1) metaJson = metaJson.replace(home + "/", "~/");
            Files.writeString(metaFile, metaJson);
        }
        new Runner(ob.build()).run();
        if (json != null && Files.exists(json)) {
            System.out.println();
            System.out.print(Summary.write(json));
            String charts;
            try {
                System.setProperty("java.awt.headless", "true");
                charts = ", " + ResultCharts.write(json).size() + " charts";
            } catch (IOException | RuntimeException | LinkageError e) {
                charts = "; no charts: " + e;
            }
            System.out.println("\nbench: results in " + json + " (+ .meta.json, .md" + charts + ")");
        }
    }

    /** {@code <yyyy-MM-dd>-<cpu>}, with the time appended if that file exists. */
    static String stem(Path dir) {
        LocalDateTime now = LocalDateTime.now();
        String cpu = cpuModel().toLowerCase(Locale.ROOT).replaceAll("\\(r\\)|\\(tm\\)|cpu|processor|@.*", " ")
                .replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (cpu.isEmpty()) cpu = System.getProperty("os.arch");
        String s = now.format(DateTimeFormatter.ISO_LOCAL_DATE) + "-" + cpu;
        if (Files.exists(dir.resolve(s + ".json"))) s += "-" + now.format(DateTimeFormatter.ofPattern("HHmmss"));
        return s;
    }

    /** What a report needs: machine, ISA, versions, threads, and the command that reproduces it. */
    static Map<String, Object> meta(String[] args) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", LocalDateTime.now().toString());
        m.put("cpu", cpuModel());
        m.put("isa", isa());
        m.put("processors", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        m.put("loss4j_commit", System.getProperty("loss4j.bench.commit", "unknown"));
        Map<String, Object> b = new LinkedHashMap<>();
        try {
            for (Backend be : Backends.all()) {
                b.put(be.name(), be.isAvailable() ? be.description() : "unavailable: " + be.unavailableReason());
                if (be.name().equals("onednn")) m.put("onednn", b.get("onednn"));
            }
        } catch (RuntimeException | LinkageError e) {
            b.put("error", e.toString());
        }
        m.put("backends", b);
        m.put("libtorch", mavenVersion("org.bytedeco", "pytorch") + " (org.bytedeco:pytorch, linux-x86_64 CPU natives)");
        m.put("jmh", mavenVersion("org.openjdk.jmh", "jmh-core"));
        m.put("threads_note", "param threads = most threads per call: torch.set_num_threads, omp_set_num_threads for oneDNN,"
                + " common fork-join pool parallelism + loss4j.threads for loss4j's Java kernels");
        m.put("command", "benchmarks/run.sh " + String.join(" ", args));
        return m;
    }

    static String mavenVersion(String group, String artifact) {
        try {
            Enumeration<URL> e = BenchMain.class.getClassLoader().getResources("META-INF/maven/" + group + "/" + artifact + "/pom.properties");
            while (e.hasMoreElements()) {
                try (InputStream in = e.nextElement().openStream()) {
                    Properties p = new Properties();
                    p.load(in);
                    if (p.getProperty("version") != null) return p.getProperty("version");
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "unknown";
    }

    static String cpuModel() {
        for (String line : cpuinfo()) {
            if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        }
        return System.getProperty("os.arch");
    }

    static String isa() {
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo()) {
            if (line.startsWith("flags")) {
                for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) flags.add(f);
                break;
            }
        }
        List<String> seen = new ArrayList<>();
        for (String f : List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile")) {
            if (flags.contains(f)) seen.add(f);
        }
        return flags.isEmpty() ? "unknown" : String.join(" ", seen);
    }

    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}

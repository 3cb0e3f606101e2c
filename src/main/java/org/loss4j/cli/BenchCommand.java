package org.loss4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.DType;
import org.loss4j.Device;
import org.loss4j.Tensor;
import org.loss4j.internal.vectors.Json;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loss4j bench}: times losses on this machine. Per workload, dtype, backend, thread count and mode: inputs are
 * built once, the loss runs into caller buffers ({@code forwardInto} / {@code forwardBackwardInto}), a warm-up, then
 * timed samples of {@code k} back-to-back calls each ({@code k} chosen so that a sample lasts about 5 µs, so the
 * clock's cost and resolution do not dominate tiny calls). Per-call figures are sample time / k: p50, p99, mean,
 * calls/s, and GB/s = (bytes of the arguments + the output, + the gradients for forward+backward) / p50.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time losses on this machine: p50/p99/mean per call, calls/s and GB/s for each backend.",
            "Default: cross_entropy (8,10) and (32,32000), mse 1e3 and 1e6, bce_with_logits 1e6, kl_div (64,32000),"
                + " ctc (200,32,30,60); float32; forward and forward+backward; every available CPU backend; 1 thread."},
        footer = {"", "Examples:",
            "  loss4j bench",
            "  loss4j bench --loss mse=1.6e7 --loss cross_entropy=32,32000 --threads 1,2 --roof --chart bench.png",
            "  loss4j bench --loss all --size small --mode forward --csv small.csv",
            "  loss4j bench --loss ctc --shape 200,32,30,60 --backend java --warmup 200 --time 1000 --json ctc.json"})
final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-l", "--loss"}, paramLabel = "LOSS[=SHAPE]",
            description = {"Loss to time, repeatable: PyTorch's class name or snake_case (mse, cross_entropy, bce_with_logits,"
                + " kl_div, ctc, ...), optionally with its shape (mse=1e6, cross_entropy=32,32000, ctc=200,32,30,60)."
                + " 'all': every loss. Shapes: element-wise losses any shape; class losses N,C; embedding losses N,D;"
                + " kl_div N,C; ctc T,N,C,S; adaptive_log_softmax N,in,classes,cutoff..."})
    List<String> losses = new ArrayList<>();

    @Option(names = "--shape", paramLabel = "DIMS", description = "Shape for every --loss given without one, e.g. 1e6 or 32,32000.")
    String shape;

    @Option(names = "--size", paramLabel = "SIZE", description = "small, medium or large: the JMH project's shape for every --loss"
            + " given without one (when neither --shape nor a shape is given: medium).")
    String size;

    @Option(names = {"-b", "--backend"}, paramLabel = "NAME", split = ",",
            description = "Backend(s), repeatable or comma-separated (java, onednn); default: every available CPU backend.")
    List<String> backends = new ArrayList<>();

    @Option(names = {"-t", "--threads"}, paramLabel = "N", split = ",", description = "Threads one call may use, e.g. 1,2 (default 1):"
            + " loss4j.threads, OpenMP's team for oneDNN, the common fork-join pool (sized once, for the largest N).")
    List<Integer> threads = new ArrayList<>(List.of(1));

    @Option(names = "--dtype", paramLabel = "DTYPE", split = ",", description = "f32 (default) and/or f64.")
    List<String> dtypes = new ArrayList<>(List.of("f32"));

    @Option(names = "--reduction", paramLabel = "R", description = "default (mean; batchmean for kl_div), mean, sum or none.")
    String reduction = "default";

    @Option(names = {"-m", "--mode"}, paramLabel = "MODE", description = "forward, backward (= forward+backward) or both (default).")
    String mode = "both";

    @Option(names = "--warmup", paramLabel = "D", description = "Warm-up per run: a time (500ms, 1s) or a number of calls (200). Default 1s.")
    String warmup = "1s";

    @Option(names = "--time", paramLabel = "D", description = "Measurement per run: a time (2s) or a number of calls (1000). Default 2s.")
    String time = "2s";

    @Option(names = "--roof", description = "Also measure the memory read roof (a sum over 256 MiB per thread count) and report %% of it.")
    boolean roof;

    @Option(names = "--roof-mb", paramLabel = "MiB", description = "Size of the roof's array (default 256).", hidden = true)
    int roofMb = 256;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results (with the machine's info) as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the results as CSV.")
    Path csv;

    @Option(names = "--chart", paramLabel = "FILE", description = "Write a chart comparing the backends: time per call per workload"
            + " (log scale), and GB/s against the roof with --roof. PNG, or SVG when FILE ends in .svg.")
    Path chart;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar (it is off anyway when stderr is not a terminal).")
    boolean quiet;

    /** One timed configuration. */
    record Result(String loss, String shape, long[] dims, String dtype, String reduction, String mode, String backend, int threads,
            long calls, int batch, double p50, double p99, double mean, long bytes, double roofGbs, String error) {

        double gbs() {
            return bytes / p50 / 1e9;
        }

        String category(boolean withDtype, boolean withThreads) {
            String s = loss.replace("Loss", "") + " " + shape + " " + (mode.equals("forward") ? "fwd" : "fwd+bwd");
            if (withDtype) s += " " + dtype;
            if (withThreads) s += " " + threads + "t";
            return s;
        }
    }

    /** A warm-up or measurement budget: seconds, or a number of calls. */
    record Budget(double seconds, long calls) {
        static Budget parse(String option, String text) {
            Matcher m = Pattern.compile("\\s*([0-9]*\\.?[0-9]+)\\s*(ms|s|x)?\\s*").matcher(text.toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException(option + " must be a time (500ms, 2s) or a number of calls (1000), got '" + text + "'");
            }
            double v = Double.parseDouble(m.group(1));
            String unit = m.group(2);
            if (unit == null || unit.equals("x")) {
                if (v != Math.rint(v)) throw new IllegalArgumentException(option + ": a number of calls must be whole, got '" + text + "'");
                return new Budget(0, (long) v);
            }
            return new Budget(unit.equals("ms") ? v / 1e3 : v, 0);
        }

        boolean done(long elapsedNanos, long calls) {
            return this.calls > 0 ? calls >= this.calls : elapsedNanos >= seconds * 1e9;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        List<BenchWorkload> work;
        List<Backend> bes;
        List<DType> dts = new ArrayList<>();
        List<String> modes;
        Budget warm, measure;
        try {
            work = workloads();
            bes = backends();
            for (String d : dtypes) {
                DType dt = DType.parse(d);
                if (!dt.isFloating()) throw new IllegalArgumentException("--dtype must be floating (f32, f64), got '" + d + "'");
                dts.add(dt);
            }
            modes = switch (mode.toLowerCase(Locale.ROOT)) {
                case "forward", "fwd" -> List.of("forward");
                case "backward", "forward-backward", "forwardbackward", "fb", "train" -> List.of("forwardBackward");
                case "both" -> List.of("forward", "forwardBackward");
                default -> throw new IllegalArgumentException("--mode must be forward, backward or both, got '" + mode + "'");
            };
            for (int t : threads) if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
            if (!List.of("default", "mean", "sum", "none", "batchmean").contains(reduction)) {
                throw new IllegalArgumentException("--reduction must be default, mean, sum, none or batchmean, got '" + reduction + "'");
            }
            warm = Budget.parse("--warmup", warmup);
            measure = Budget.parse("--time", time);
            if (measure.calls() == 0 && measure.seconds() <= 0) throw new IllegalArgumentException("--time must be > 0");
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }

        int maxThreads = threads.stream().mapToInt(Integer::intValue).max().orElse(1);
        ThreadKnobs.before(maxThreads);

        Map<Integer, Double> roofGbs = new TreeMap<>();
        if (roof) {
            for (int t : new LinkedHashSet<>(threads)) {
                if (!quiet) System.err.printf(Locale.ROOT, "bench: measuring the read roof (%d MiB, %d thread%s)...%n", roofMb, t, t == 1 ? "" : "s");
                roofGbs.put(t, Roof.sumGbs((long) roofMb << 20, t));
            }
        }

        int total = work.size() * dts.size() * bes.size() * threads.size() * modes.size();
        Progress progress = new Progress(total, quiet);
        List<Result> results = new ArrayList<>();
        for (BenchWorkload w : work) {
            for (DType dt : dts) {
                try (Arena arena = Arena.ofShared()) {
                    Tensor[] args;
                    try {
                        args = w.allocate(arena, dt);
                    } catch (RuntimeException | OutOfMemoryError e) {
                        for (Backend b : bes) for (int t : threads) for (String md : modes) {
                            progress.step(w.label());
                            results.add(failed(w, dt, md, b.name(), t, "cannot allocate the inputs: " + e));
                        }
                        continue;
                    }
                    for (Backend b : bes) {
                        for (int t : threads) {
                            ThreadKnobs.set(t, b);
                            for (String md : modes) {
                                progress.step(w.label() + " " + b.name() + " " + (md.equals("forward") ? "fwd" : "fwd+bwd") + " " + t + "t");
                                results.add(run(w, dt, args, arena, b, t, md, warm, measure, roofGbs.getOrDefault(t, Double.NaN)));
                            }
                        }
                    }
                }
            }
        }
        progress.done();

        printTable(out, results, roofGbs);
        if (json != null) {
            writeJson(json, results, roofGbs);
            out.println("wrote " + json);
        }
        if (csv != null) {
            writeCsv(csv, results);
            out.println("wrote " + csv);
        }
        if (chart != null) {
            try {
                Charts.write(chart, panels(results, roofGbs));
            } catch (NoClassDefFoundError e) {
                System.err.println("bench: --chart needs XChart (org.knowm.xchart:xchart) on the class path: " + e.getMessage());
                return 1;
            }
            out.println("wrote " + chart);
        }
        return results.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    // ------------------------------------------------------------------ selection

    List<BenchWorkload> workloads() {
        List<String> specs = new ArrayList<>();
        if (losses.isEmpty()) {
            if (shape == null && size == null) specs.addAll(BenchWorkload.DEFAULT_SPECS);
            else throw new IllegalArgumentException("--shape/--size need --loss (e.g. --loss mse --shape 1e6, or --loss all --size small)");
        }
        for (String l : losses) {
            if (l.equalsIgnoreCase("all")) specs.addAll(Losses.NAMES);
            else specs.add(l);
        }
        List<BenchWorkload> w = new ArrayList<>();
        for (String s : specs) w.add(BenchWorkload.parse(s, shape, size));
        return w;
    }

    List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        if (backends.isEmpty()) {
            for (Backend b : Backends.available()) if (b.device() == Device.CPU) list.add(b);
        } else {
            for (String n : new LinkedHashSet<>(backends)) list.add(Backends.get(n.trim()));
        }
        return list;
    }

    // ------------------------------------------------------------------ timing

    private static Result failed(BenchWorkload w, DType dt, String md, String backend, int t, String why) {
        return new Result(w.loss, w.shapeText, w.dims, dt.toString(), w.reduction(null), md, backend, t, 0, 0, Double.NaN, Double.NaN,
                Double.NaN, 0, Double.NaN, why);
    }

    private Result run(BenchWorkload w, DType dt, Tensor[] args, Arena arena, Backend backend, int t, String md, Budget warm,
            Budget measure, double roofGbs) {
        String red = w.reduction(reduction);
        Loss loss;
        Runnable call;
        long bytes = w.inputBytes(dt);
        try {
            loss = w.createLoss(reduction).on(backend);
            Tensor probe = loss.forward(args);
            Tensor out = Tensor.zeros(arena, probe.dtype(), probe.shape());
            bytes += out.byteSize();
            if (md.equals("forward")) {
                call = () -> loss.forwardInto(out, args);
            } else {
                Tensor[] grads = new Tensor[args.length];
                for (int i = 0; i < args.length; i++) {
                    if (w.args.get(i).grad()) grads[i] = Tensor.zeros(arena, args[i].dtype(), args[i].shape());
                }
                Tensor gradOut = null;
                if (probe.dim() != 0) {
                    gradOut = Tensor.zeros(arena, probe.dtype(), probe.shape());
                    for (long i = 0; i < gradOut.numel(); i++) gradOut.setDouble(i, 1);
                }
                Tensor go = gradOut;
                call = () -> loss.forwardBackwardInto(out, grads, go, args);
                bytes += w.gradBytes(dt) + (go == null ? 0 : go.byteSize());
            }
            call.run();
        } catch (RuntimeException e) {
            return new Result(w.loss, w.shapeText, w.dims, dt.toString(), red, md, backend.name(), t, 0, 0, Double.NaN, Double.NaN,
                    Double.NaN, bytes, roofGbs, e.getClass().getSimpleName() + ": " + e.getMessage());
        }

        // warm-up; estimates the time per call
        long t0 = System.nanoTime(), n = 0, el;
        do {
            call.run();
            n++;
            el = System.nanoTime() - t0;
        } while (!warm.done(el, n));
        double perCall = Math.max(1, el) / (double) Math.max(1, n);
        int batch = (int) Math.max(1, Math.min(10_000, Math.ceil(5_000 / perCall)));
        if (measure.calls() > 0) batch = (int) Math.max(1, Math.min(batch, measure.calls()));

        double[] samples = new double[1024];
        int ns = 0;
        long calls = 0, start = System.nanoTime(), sum = 0;
        while (true) {
            long s = System.nanoTime();
            for (int i = 0; i < batch; i++) call.run();
            long d = System.nanoTime() - s;
            sum += d;
            calls += batch;
            if (ns == samples.length) samples = Arrays.copyOf(samples, ns * 2);
            samples[ns++] = d / (double) batch;
            if (measure.done(System.nanoTime() - start, calls) || ns >= 50_000_000) break;
        }
        double[] sorted = Arrays.copyOf(samples, ns);
        Arrays.sort(sorted);
        double p50 = percentile(sorted, 0.50) * 1e-9;
        double p99 = percentile(sorted, 0.99) * 1e-9;
        double mean = sum / (double) calls * 1e-9;
        return new Result(w.loss, w.shapeText, w.dims, dt.toString(), red, md, backend.name(), t, calls, batch, p50, p99, mean, bytes,
                roofGbs, null);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    // ------------------------------------------------------------------ output

    static String time(double s) {
        if (Double.isNaN(s)) return "-";
        if (s >= 1) return String.format(Locale.ROOT, "%.3g s", s);
        if (s >= 1e-3) return String.format(Locale.ROOT, "%.3g ms", s * 1e3);
        if (s >= 1e-6) return String.format(Locale.ROOT, "%.3g µs", s * 1e6);
        return String.format(Locale.ROOT, "%.3g ns", s * 1e9);
    }

    private static void printTable(PrintStream out, List<Result> results, Map<Integer, Double> roofGbs) {
        out.printf("loss4j bench: %s, %d processors, %s%n", SystemInfo.cpuModel(), Runtime.getRuntime().availableProcessors(),
                "Java " + Runtime.version());
        for (Map.Entry<Integer, Double> e : roofGbs.entrySet()) {
            out.printf(Locale.ROOT, "read roof (sum over 256 MiB), %d thread%s: %.1f GB/s%n", e.getKey(), e.getKey() == 1 ? "" : "s", e.getValue());
        }
        boolean withRoof = !roofGbs.isEmpty();
        String[] head = withRoof
                ? new String[] {"loss", "shape", "dtype", "reduction", "mode", "backend", "threads", "p50", "p99", "mean", "calls/s", "GB/s", "% roof"}
                : new String[] {"loss", "shape", "dtype", "reduction", "mode", "backend", "threads", "p50", "p99", "mean", "calls/s", "GB/s"};
        List<String[]> rows = new ArrayList<>();
        rows.add(head);
        List<String> errors = new ArrayList<>();
        for (Result r : results) {
            String[] row = new String[head.length];
            row[0] = r.loss();
            row[1] = r.shape();
            row[2] = r.dtype();
            row[3] = r.reduction();
            row[4] = r.mode().equals("forward") ? "forward" : "fwd+bwd";
            row[5] = r.backend();
            row[6] = Integer.toString(r.threads());
            if (r.error() != null) {
                row[7] = "error (below)";
                for (int i = 8; i < row.length; i++) row[i] = "";
                errors.add(r.loss() + " " + r.shape() + " " + r.backend() + " " + r.mode() + ": " + r.error());
            } else {
                row[7] = time(r.p50());
                row[8] = time(r.p99());
                row[9] = time(r.mean());
                row[10] = String.format(Locale.ROOT, "%.4g", 1 / r.mean());
                row[11] = String.format(Locale.ROOT, "%.2f", r.gbs());
                if (withRoof) row[12] = Double.isNaN(r.roofGbs()) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * r.gbs() / r.roofGbs());
            }
            rows.add(row);
        }
        int[] w = new int[head.length];
        for (String[] row : rows) for (int i = 0; i < row.length; i++) w[i] = Math.max(w[i], row[i].length());
        out.println();
        for (int k = 0; k < rows.size(); k++) {
            StringBuilder sb = new StringBuilder();
            String[] row = rows.get(k);
            for (int i = 0; i < row.length; i++) {
                boolean right = i >= 6;
                String cell = right ? " ".repeat(w[i] - row[i].length()) + row[i] : row[i] + " ".repeat(w[i] - row[i].length());
                sb.append(i == 0 ? "" : "  ").append(cell);
            }
            out.println(sb.toString().stripTrailing());
            if (k == 0) out.println("-".repeat(sb.toString().stripTrailing().length()));
        }
        out.println();
        out.println("p50/p99/mean: time per call (samples of back-to-back calls into caller buffers); GB/s: bytes of the arguments,"
                + " output and gradients per call / p50.");
        for (String e : errors) out.println("error: " + e);
    }

    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("warmup", warmup);
        s.put("time", time);
        s.put("reduction", reduction);
        s.put("mode", mode);
        s.put("threads", threads);
        s.put("dtypes", dtypes);
        s.put("timing", "samples of k back-to-back calls (k so that a sample lasts ~5 us); per call = sample / k;"
                + " p50/p99 over samples, mean = total time / calls; GB/s = bytes per call / p50");
        return s;
    }

    private void writeJson(Path file, List<Result> results, Map<Integer, Double> roofGbs) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("loss4j", new Main.Version().getVersion()[0]);
        root.put("command", "loss4j bench " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        root.put("system", SystemInfo.collect());
        root.put("settings", settings());
        Map<String, Object> rf = new LinkedHashMap<>();
        for (Map.Entry<Integer, Double> e : roofGbs.entrySet()) rf.put(Integer.toString(e.getKey()), e.getValue());
        root.put("roof_gbs", rf);
        List<Object> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", r.loss());
            m.put("shape", r.shape());
            List<Long> dims = new ArrayList<>();
            for (long d : r.dims()) dims.add(d);
            m.put("dims", dims);
            m.put("dtype", r.dtype());
            m.put("reduction", r.reduction());
            m.put("mode", r.mode());
            m.put("backend", r.backend());
            m.put("threads", r.threads());
            m.put("calls", r.calls());
            m.put("batch", r.batch());
            m.put("p50_s", r.p50());
            m.put("p99_s", r.p99());
            m.put("mean_s", r.mean());
            m.put("calls_per_s", 1 / r.mean());
            m.put("bytes_per_call", r.bytes());
            m.put("gbs", r.gbs());
            m.put("roof_gbs", r.roofGbs());
            m.put("error", r.error());
            rows.add(m);
        }
        root.put("results", rows);
        Files.writeString(file, Json.write(root) + "\n", StandardCharsets.UTF_8);
    }

    static final String CSV_HEADER = "loss,shape,dtype,reduction,mode,backend,threads,calls,batch,p50_s,p99_s,mean_s,calls_per_s,"
            + "bytes_per_call,gbs,roof_gbs,error";

    private static void writeCsv(Path file, List<Result> results) throws IOException {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (Result r : results) {
            sb.append(String.join(",", csv(r.loss()), csv(r.shape()), r.dtype(), r.reduction(), r.mode(), csv(r.backend()),
                    Integer.toString(r.threads()), Long.toString(r.calls()), Integer.toString(r.batch()), num(r.p50()), num(r.p99()),
                    num(r.mean()), num(1 / r.mean()), Long.toString(r.bytes()), num(r.gbs()), num(r.roofGbs()),
                    r.error() == null ? "" : csv(r.error()))).append('\n');
        }
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Time per call (log) per workload for each backend; with a roof, GB/s per backend against it. */
    static List<Charts.Panel> panels(List<Result> results, Map<Integer, Double> roofGbs) {
        boolean multiDtype = results.stream().map(Result::dtype).distinct().count() > 1;
        boolean multiThreads = results.stream().map(Result::threads).distinct().count() > 1;
        List<String> cats = new ArrayList<>();
        List<String> bes = new ArrayList<>();
        Map<String, Result> byKey = new LinkedHashMap<>();
        for (Result r : results) {
            String c = r.category(multiDtype, multiThreads);
            if (!cats.contains(c)) cats.add(c);
            if (!bes.contains(r.backend())) bes.add(r.backend());
            byKey.put(c + "|" + r.backend(), r);
        }
        List<Charts.Series> time = new ArrayList<>(), gbs = new ArrayList<>();
        for (String b : bes) {
            double[] tv = new double[cats.size()], gv = new double[cats.size()];
            for (int i = 0; i < cats.size(); i++) {
                Result r = byKey.get(cats.get(i) + "|" + b);
                tv[i] = r == null || r.error() != null ? Double.NaN : r.p50();
                gv[i] = r == null || r.error() != null ? Double.NaN : r.gbs();
            }
            time.add(new Charts.Series(b, tv, false));
            gbs.add(new Charts.Series(b, gv, false));
        }
        String where = SystemInfo.cpuModel();
        List<Charts.Panel> panels = new ArrayList<>();
        panels.add(new Charts.Panel("loss4j bench: time per call (p50, lower is better) - " + where, "seconds per call", cats, time, true));
        if (!roofGbs.isEmpty()) {
            double[] rv = new double[cats.size()];
            for (int i = 0; i < cats.size(); i++) {
                Result any = null;
                for (String b : bes) if (byKey.get(cats.get(i) + "|" + b) != null) any = byKey.get(cats.get(i) + "|" + b);
                rv[i] = any == null ? Double.NaN : roofGbs.getOrDefault(any.threads(), Double.NaN);
            }
            gbs.add(new Charts.Series("read roof", rv, true));
            panels.add(new Charts.Panel("GB/s (bytes of arguments, output and gradients / p50) against the read roof", "GB/s", cats, gbs,
                    false));
        }
        return panels;
    }

    // ------------------------------------------------------------------ threads, roof, progress

    /** The threads one call may use: loss4j.threads, the common fork-join pool (once), OpenMP for oneDNN. */
    static final class ThreadKnobs {
        private static MethodHandle ompSet;
        private static boolean ompLooked;

        static void before(int maxThreads) {
            if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
                System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", Integer.toString(Math.max(1, maxThreads - 1)));
            }
            int p = ForkJoinPool.getCommonPoolParallelism();
            if (maxThreads > 1 && p < maxThreads - 1) {
                System.err.println("bench: warning: the common fork-join pool has parallelism " + p + "; parallel Java kernels may use "
                        + (p + 1) + " threads, not " + maxThreads);
            }
        }

        static void set(int threads, Backend backend) {
            System.setProperty("loss4j.threads", Integer.toString(threads));
            if (backend.name().equals("onednn")) openmp(threads);
        }

        private static void openmp(int threads) {
            try {
                if (!ompLooked) {
                    ompLooked = true;
                    Optional<MemorySegment> f = SymbolLookup.libraryLookup("libgomp.so.1", Arena.global()).find("omp_set_num_threads");
                    if (f.isPresent()) {
                        ompSet = Linker.nativeLinker().downcallHandle(f.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
                    }
                }
                if (ompSet != null) ompSet.invokeExact(threads);
            } catch (Throwable e) {
                System.err.println("bench: warning: cannot set OpenMP's threads (" + e + "); oneDNN uses its default (OMP_NUM_THREADS)");
            }
        }
    }

    /** The memory read roof: GB/s of a sum over a large off-heap array, best of a few passes. */
    static final class Roof {
        static double sumGbs(long bytes, int threads) throws InterruptedException {
            long n = bytes / 8;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment a = arena.allocate(n * 8, 64);
                for (long i = 0; i < n; i++) a.setAtIndex(ValueLayout.JAVA_LONG, i, i);
                double best = 0;
                long[] sink = new long[threads + 1];
                // let the JIT compile the kernel first (on a slice that stays in cache)
                long warmN = Math.min(n, 1 << 15);
                for (int i = 0; i < 20_000; i++) sink[threads] += sum(a, 0, warmN);
                for (int rep = 0; rep < 8; rep++) {
                    Thread[] ts = new Thread[threads];
                    long t0 = System.nanoTime();
                    for (int k = 0; k < threads; k++) {
                        long lo = n * k / threads, hi = n * (k + 1) / threads;
                        int kk = k;
                        ts[k] = Thread.ofPlatform().start(() -> sink[kk] = sum(a, lo, hi));
                    }
                    for (Thread t : ts) t.join();
                    double s = (System.nanoTime() - t0) * 1e-9;
                    if (rep > 0) best = Math.max(best, n * 8 / s / 1e9); // the first pass warms up
                }
                if (sink[0] == 42) System.err.print("");
                return best;
            }
        }

        private static long sum(MemorySegment a, long lo, long hi) {
            long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            long i = lo;
            for (; i + 4 <= hi; i += 4) {
                s0 += a.getAtIndex(ValueLayout.JAVA_LONG, i);
                s1 += a.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
                s2 += a.getAtIndex(ValueLayout.JAVA_LONG, i + 2);
                s3 += a.getAtIndex(ValueLayout.JAVA_LONG, i + 3);
            }
            for (; i < hi; i++) s0 += a.getAtIndex(ValueLayout.JAVA_LONG, i);
            return s0 + s1 + s2 + s3;
        }
    }

    /** A one-line progress bar on stderr, only when stderr is a terminal. */
    static final class Progress {
        private final int total;
        private final boolean on;
        private int done;

        Progress(int total, boolean quiet) {
            this.total = total;
            java.io.Console c = System.console();
            this.on = !quiet && c != null && c.isTerminal() && total > 1;
        }

        void step(String what) {
            if (on) {
                int width = 30, fill = (int) ((long) width * done / Math.max(1, total));
                String label = what.length() > 60 ? what.substring(0, 57) + "..." : what;
                System.err.printf("\r[%s%s] %d/%d %-60s", "#".repeat(fill), ".".repeat(width - fill), done + 1, total, label);
                System.err.flush();
            }
            done++;
        }

        void done() {
            if (on) System.err.print("\r" + " ".repeat(110) + "\r");
        }
    }
}

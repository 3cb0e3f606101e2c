package org.loss4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.loss4j.Backend;
import org.loss4j.Backends;
import org.loss4j.internal.Config;

/** Facts about this machine and loss4j's backends, for {@code info} and for reports. */
final class SystemInfo {

    private SystemInfo() {}

    static Map<String, Object> collect() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        m.put("java_home", System.getProperty("java.home"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpu", cpuModel());
        m.put("processors", Runtime.getRuntime().availableProcessors());
        m.put("isa", isa());
        Map<String, Object> backends = new LinkedHashMap<>();
        for (Backend b : Backends.all()) {
            backends.put(b.name(), b.isAvailable() ? "available: " + b.description() : "unavailable: " + b.unavailableReason());
        }
        m.put("backends", backends);
        if (org.loss4j.internal.onednn.OneDnnRuntime.unavailableReason() == null) {
            org.loss4j.internal.onednn.OneDnnRuntime rt = org.loss4j.internal.onednn.OneDnnRuntime.get();
            Map<String, Object> dnn = new LinkedHashMap<>();
            dnn.put("version", rt.version());
            dnn.put("cpu_runtime", rt.cpuRuntime());
            dnn.put("isa", rt.isa() + " (effective; ONEDNN_MAX_CPU_ISA lowers it)");
            dnn.put("natives", rt.loadedFrom());
            m.put("onednn", dnn);
        }
        m.put("default_backend", Backends.defaultBackend().name());
        m.put("threads", threads());
        Map<String, Object> cfg = new LinkedHashMap<>();
        for (Config c : Config.values()) cfg.put(c.property() + " / " + c.environmentVariable(), c.get().isEmpty() ? "(unset)" : c.get());
        m.put("settings", cfg);
        return m;
    }

    /** What decides how many threads one call may use (for benchmark reports). */
    static Map<String, Object> threads() {
        Map<String, Object> t = new LinkedHashMap<>();
        String prop = System.getProperty("loss4j.threads");
        String env = System.getenv("LOSS4J_THREADS");
        t.put("loss4j.threads", prop != null ? prop : env != null ? env + " (LOSS4J_THREADS)" : "(unset)");
        t.put("common_pool", java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + " (parallelism of the common fork-join pool)");
        String omp = System.getenv("OMP_NUM_THREADS");
        t.put("OMP_NUM_THREADS", omp == null ? "(unset: OpenMP uses every processor)" : omp);
        return t;
    }

    static String cpuModel() {
        for (String line : cpuinfo()) {
            if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        }
        return System.getProperty("os.arch");
    }

    /** The SIMD extensions that matter for loss kernels, from /proc/cpuinfo. */
    static String isa() {
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo()) {
            if (line.startsWith("flags")) {
                for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) flags.add(f);
                break;
            }
        }
        if (flags.isEmpty()) return "unknown";
        List<String> seen = new ArrayList<>();
        for (String f : List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile")) {
            if (flags.contains(f)) seen.add(f);
        }
        return String.join(" ", seen);
    }

    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}

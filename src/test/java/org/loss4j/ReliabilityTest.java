package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loss4j.internal.nativelib.NativeLibraries;
import org.loss4j.internal.onednn.OneDnnRuntime;

/**
 * Short versions of the reliability runs ({@link Reliability}; README "Reliability" has the full commands):
 * concurrency in this JVM, and in forked JVMs (the oneDNN runtime is process-wide, so a closed or broken one must not
 * poison this JVM) the leak check after close with a tiny primitive cache, the soak with its memory assertion, and
 * the native-library and out-of-memory faults.
 */
class ReliabilityTest {

    /** Calls per thread here; {@code -Dloss4j.stress.calls=100000} for the full run (or {@link Reliability#main}). */
    static final long STRESS_CALLS = Long.getLong("loss4j.stress.calls", 3000);
    // 300,000 calls with 60% warm-up: the calls got fast enough (about 6,000/s) that 60,000 ended while C2 was still
    // compiling, and the compiler's own memory (NMT Compiler, Arena Chunk) grew past 5% after a 40% warm-up; the
    // 10,000,000-call soak shows loss4j's memory flat once the JIT settles.
    static final long SOAK_CALLS = Long.getLong("loss4j.soak.calls", 300_000);

    @Test
    void eightThreadsSharingLossesAndBackendsGetTheSingleThreadedResultsBitForBit() throws Exception {
        Reliability.StressResult r = Reliability.stress(8, STRESS_CALLS, new long[] {1, 7, 13, 64, 300});
        System.out.println(r);
        assertEquals(8 * STRESS_CALLS, r.calls());
    }

    @Test
    void tinyPrimitiveCacheUnderContentionThenCloseLeavesNoNativeObject() throws Exception {
        assumeTrue(OneDnnRuntime.unavailableReason() == null, "oneDNN unavailable");
        String out = fork(List.of("-Dloss4j.leaks=true", "-Dloss4j.onednn.cache=4"), "leaks", "8", "300");
        assertTrue(out.contains("0 outstanding, 0 double frees"), out);
        assertTrue(out.contains("onednn after close: available=false"), out);
    }

    @Test
    void soakMemoryGrowthAfterWarmUpUnderFivePercent() throws Exception {
        // warm-up: the first 40% (the JIT's code and compiler arenas settle over the first ~15,000 calls)
        String out = fork(List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:NativeMemoryTracking=summary",
                        "-Dloss4j.soak.warmup=" + System.getProperty("loss4j.soak.warmup", "0.6")),
                "soak", Long.toString(SOAK_CALLS));
        assertTrue(out.contains("soak: " + SOAK_CALLS + " calls"), out);
    }

    @Test
    void missingLibrary(@TempDir Path dir) throws Exception {
        String out = fork(List.of("-Dloss4j.onednn.path=" + dir), "fault", "library");
        assertTrue(out.contains("UNAVAILABLE: oneDNN native libraries could not be loaded"), out);
        assertTrue(out.contains("no " + dir.resolve("libdnnl.so.3")), out);
    }

    @Test
    void garbageLibrary(@TempDir Path dir) throws Exception {
        byte[] junk = new byte[100_000];
        new java.util.Random(1).nextBytes(junk);
        Files.write(dir.resolve("libdnnl.so.3"), junk);
        String out = fork(List.of("-Dloss4j.onednn.path=" + dir), "fault", "library");
        assertTrue(out.contains("loading " + dir.resolve("libdnnl.so.3") + " failed"), out);
    }

    @Test
    void truncatedLibrary(@TempDir Path dir) throws Exception {
        assumeTrue(OneDnnRuntime.unavailableReason() == null, "oneDNN unavailable: no library to truncate");
        Path real = NativeLibraries.loadOneDnn().files().getLast();
        try (var in = Files.newInputStream(real)) {
            Files.write(dir.resolve("libdnnl.so.3"), in.readNBytes((int) Math.min(Files.size(real) / 3, 8 << 20)));
        }
        // before the ELF check, System.load of this file killed the JVM with SIGBUS inside the dynamic loader
        assertTrue(NativeLibraries.elfProblem(dir.resolve("libdnnl.so.3")).startsWith("truncated or corrupt: "));
        assertNull(NativeLibraries.elfProblem(real));
        String out = fork(List.of("-Dloss4j.onednn.path=" + dir), "fault", "library");
        assertTrue(out.contains("loading " + dir.resolve("libdnnl.so.3") + " failed"), out);
        assertTrue(out.contains("truncated or corrupt: "), out);
    }

    @Test
    void wrongVersionLibrary(@TempDir Path dir) throws Exception {
        // A stub libdnnl.so.3 that answers dnnl_version() with 2.7.3 (built with the C compiler, where there is one).
        Path c = dir.resolve("stub.c");
        Files.writeString(c, """
                typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } v_t;
                static const v_t v = {2, 7, 3, "stub", 1, 0};
                const v_t *dnnl_version(void) { return &v; }
                """);
        Path so = dir.resolve("libdnnl.so.3");
        Process p;
        try {
            p = new ProcessBuilder("cc", "-shared", "-fPIC", "-Wl,-soname,libdnnl.so.3", "-o", so.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no C compiler to build the stub (the version check itself: versionCheck)");
            return;
        }
        assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "stub did not build");
        String out = fork(List.of("-Dloss4j.onednn.path=" + dir), "fault", "library");
        assertTrue(out.contains("libdnnl is oneDNN 2.7.3, but loss4j's bindings need oneDNN 3.x"), out);
    }

    @Test
    void versionCheck() {
        assertNull(OneDnnRuntime.versionProblem(3, 8, 1));
        assertNull(OneDnnRuntime.versionProblem(3, 11, 0));
        assertTrue(OneDnnRuntime.versionProblem(3, 7, 9).contains("oneDNN 3.7.9"));
        assertTrue(OneDnnRuntime.versionProblem(4, 0, 0).contains("need oneDNN 3.x, 3.8 or newer"));
    }

    @Test
    void outOfMemoryInWorkspaceAndCall() throws Exception {
        String out = fork(List.of("-XX:MaxDirectMemorySize=96m", "-Xmx512m"), "fault", "oom");
        assertTrue(out.contains("WORKSPACE OOM:"), out);
        assertTrue(out.contains("CALL OOM at n="), out);
    }

    /** Runs {@link Reliability#main} in a new JVM with this test class path; returns its output, failing unless it printed OK. */
    static String fork(List<String> jvmArgs, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Dloss4j.onednn.minElements=0");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Reliability.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getInputStream().readAllBytes();
            } catch (IOException e) {
                return e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        boolean done = p.waitFor(5 + SOAK_CALLS / 60_000, TimeUnit.MINUTES); // a long soak (1,000 calls/s) gets its time
        if (!done) p.destroyForcibly();
        String out = new String(read.get(1, TimeUnit.MINUTES), StandardCharsets.UTF_8);
        System.out.println("--- forked " + String.join(" ", args) + " (exit " + (done ? p.exitValue() : "timeout") + ")\n" + out);
        assertTrue(done && p.exitValue() == 0 && out.contains("RESULT: OK"),
                "forked JVM " + args[0] + " exited " + (done ? p.exitValue() : "by timeout") + " (a crash shows as 134 or"
                        + " an hs_err file):\n" + out);
        return out;
    }
}

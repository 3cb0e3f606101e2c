package org.loss4j.internal.nativelib;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.loss4j.internal.Config;

/**
 * Finds and loads the CUDA backend's shared libraries: the CUDA runtime, cuBLAS (with cuBLASLt) and cuDNN 9 (with
 * its sub-libraries). Each is searched separately, in a fixed order, each step logged when {@code loss4j.debug} is
 * true:
 * <ol>
 *   <li>an explicit path ({@link Config#CUDA_PATH}: directories, {@code site-packages} directories or CUDA install
 *       roots); when set it is the only place searched, so a wrong setting is reported rather than hidden;</li>
 *   <li>NVIDIA's pip wheels ({@code site-packages/nvidia/{cu13,cudnn,cublas,cuda_runtime}/lib}) of the Python named
 *       by {@link Config#CUDA_PYTHON}, else of {@code python3} on the {@code PATH}, of {@code $VIRTUAL_ENV} and
 *       {@code $CONDA_PREFIX}, and of the usual system and user {@code site-packages};</li>
 *   <li>{@code LD_LIBRARY_PATH} and the CUDA install ({@code $CUDA_HOME}, {@code $CUDA_PATH},
 *       {@code /usr/local/cuda});</li>
 *   <li>the system library path (as for oneDNN, {@link NativeLibraries#systemLibraryDirectories()}).</li>
 * </ol>
 * A library's dependencies in the same directory ({@code libcublasLt.so.13}) are {@link System#load}ed first. The
 * main libraries are {@link System#load}ed so that the jextract bindings, generated without {@code --library}, find
 * them through {@link SymbolLookup#loaderLookup()}. cuDNN's sub-libraries ({@code libcudnn_graph}, {@code _ops},
 * {@code _adv}), which {@code libcudnn.so.9} opens by name when first needed, are opened here with
 * {@link SymbolLookup#libraryLookup(Path, Arena)} instead: that surfaces a broken install now, yet keeps their copies
 * of the API symbols out of the loader's lookup, so the bindings always call the {@code libcudnn.so.9} entry points.
 * No GPU or driver is needed to load any of them.
 */
public final class CudaLibraries {

    private CudaLibraries() {}

    /** One CUDA library with what it needs beside it and where NVIDIA's wheels put it. */
    public enum Component {
        CUDART("CUDA runtime", List.of(), "libcudart.so.13", List.of(), List.of("cu13/lib", "cuda_runtime/lib"),
                "install the CUDA 13 toolkit (/usr/local/cuda) or pip install nvidia-cuda-runtime"),
        CUBLAS("cuBLAS", List.of("libcublasLt.so.13"), "libcublas.so.13", List.of(), List.of("cu13/lib", "cublas/lib"),
                "pip install nvidia-cublas"),
        CUDNN("cuDNN", List.of(), "libcudnn.so.9",
                List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_adv.so.9"), List.of("cudnn/lib"),
                "pip install nvidia-cudnn-cu13");

        private final String title;
        private final List<String> dependencies;
        private final String fileName;
        private final List<String> subLibraries;
        private final List<String> pipDirectories;
        private final String remedy;

        Component(String title, List<String> dependencies, String fileName, List<String> subLibraries,
                List<String> pipDirectories, String remedy) {
            this.title = title;
            this.dependencies = dependencies;
            this.fileName = fileName;
            this.subLibraries = subLibraries;
            this.pipDirectories = pipDirectories;
            this.remedy = remedy;
        }

        /** E.g. {@code cuDNN}. */
        public String title() {
            return title;
        }

        /** The soname of the library the bindings call, e.g. {@code libcudnn.so.9}. */
        public String fileName() {
            return fileName;
        }

        /** Every file loaded for this component, in load order. */
        public List<String> allFileNames() {
            List<String> all = new ArrayList<>(dependencies);
            all.add(fileName);
            all.addAll(subLibraries);
            return all;
        }

        @Override
        public String toString() {
            return title + " (" + fileName + ")";
        }
    }

    /** Where a component was loaded from: the step, the directory, the files in load order. */
    public record Loaded(Component component, String source, Path directory, List<Path> files) {
        /** The library the bindings call. */
        public Path main() {
            return directory.resolve(component.fileName());
        }
    }

    /** The outcome of one search for every component. */
    public record Result(Map<Component, Loaded> loaded, Map<Component, String> failures) {

        public boolean complete() {
            return failures.isEmpty();
        }

        /** E.g. {@code cuBLAS (libcublas.so.13), cuDNN (libcudnn.so.9)}; empty if nothing is missing. */
        public String missing() {
            return String.join(", ", failures.keySet().stream().map(Component::toString).toList());
        }

        /** Every missing component's search report and fix, or the empty string. */
        public String failureMessage() {
            if (complete()) return "";
            StringBuilder sb = new StringBuilder("CUDA libraries missing: ").append(missing()).append('.');
            for (String f : failures.values()) sb.append('\n').append(f);
            return sb.toString();
        }

        /** The component, loaded. */
        public Loaded require(Component c) {
            Loaded l = loaded.get(c);
            if (l == null) throw new UnsatisfiedLinkError(failures.get(c));
            return l;
        }
    }

    private static Result result;

    /** Searches for and loads every component once per JVM; later calls return the same result. Never throws. */
    public static synchronized Result load() {
        if (result != null) return result;
        Search search = new Search();
        Map<Component, Loaded> loaded = new EnumMap<>(Component.class);
        Map<Component, String> failures = new EnumMap<>(Component.class);
        for (Component c : Component.values()) {
            List<String> tried = new ArrayList<>();
            Loaded l = find(c, search, tried);
            if (l != null) {
                log(c + ": loaded from " + l.source() + " (" + l.directory() + ")");
                loaded.put(c, l);
            } else {
                String message = failureMessage(c, tried);
                log(message);
                failures.put(c, message);
            }
        }
        result = new Result(Collections.unmodifiableMap(loaded), Collections.unmodifiableMap(failures));
        return result;
    }

    /**
     * Loads one component (and, as a side effect, searches for the others).
     *
     * @throws UnsatisfiedLinkError listing what was tried and the fix
     */
    public static Loaded require(Component c) {
        return load().require(c);
    }

    // ---- the search -------------------------------------------------------------------------------------------

    /**
     * An ordered step of the search: a label for reports, the directories it contributes, and how to say where it
     * looked ({@code where}), or why it did not ({@code skipped}, e.g. "not set").
     */
    private record Step(String label, List<Path> directories, String where, String skipped) {}

    /** The steps, built lazily (asking Python for its site-packages costs a process start). */
    private static final class Search {
        private List<Step> steps;

        List<Step> steps() {
            if (steps == null) steps = buildSteps();
            return steps;
        }
    }

    private static Loaded find(Component c, Search search, List<String> tried) {
        for (Step step : search.steps()) {
            boolean seen = false;
            for (Path dir : step.directories()) {
                Path main = dir.resolve(c.fileName);
                if (!Files.isRegularFile(main)) continue;
                seen = true;
                Loaded l = loadFrom(c, step, dir, tried);
                if (l != null) return l;
            }
            if (step.skipped() != null) note(tried, step.label() + ": " + step.skipped());
            else if (!seen) note(tried, step.label() + ": no " + c.fileName + " " + step.where());
        }
        return null;
    }

    private static Loaded loadFrom(Component c, Step step, Path dir, List<String> tried) {
        List<Path> files = new ArrayList<>();
        try {
            for (String dep : c.dependencies) {
                Path f = dir.resolve(dep);
                if (!Files.isRegularFile(f)) continue; // left to the system's dynamic loader (RUNPATH, ld.so.cache)
                log(c.title + ": System.load " + f);
                NativeLibraries.load(f);
                files.add(f);
            }
            Path main = dir.resolve(c.fileName);
            log(c.title + ": System.load " + main);
            NativeLibraries.load(main);
            files.add(main);
            for (String sub : c.subLibraries) {
                Path f = dir.resolve(sub);
                if (!Files.isRegularFile(f)) {
                    note(tried, step.label() + ": " + dir + " has " + c.fileName + " but not " + sub
                            + " (an incomplete install)");
                    return null;
                }
                log(c.title + ": open " + f);
                String problem = NativeLibraries.elfProblem(f);
                if (problem != null) throw new UnsatisfiedLinkError(f + ": " + problem);
                SymbolLookup.libraryLookup(f, Arena.global()); // opened for the life of the process
                files.add(f);
            }
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            note(tried, step.label() + ": loading from " + dir + " failed: " + e.getMessage());
            return null;
        }
        return new Loaded(c, step.label(), dir, List.copyOf(files));
    }

    private static List<Step> buildSteps() {
        List<Step> steps = new ArrayList<>();
        Config explicit = Config.CUDA_PATH;
        String explicitLabel = "explicit path (" + explicit.property() + " / " + explicit.environmentVariable() + ")";
        String value = explicit.get();
        if (!value.isEmpty()) {
            Set<Path> dirs = new LinkedHashSet<>();
            for (String entry : value.split(File.pathSeparator)) {
                if (entry.isBlank()) continue;
                Path p = Path.of(entry.strip()).toAbsolutePath().normalize();
                if (Files.isRegularFile(p)) p = p.getParent();
                dirs.add(p);
                dirs.addAll(pipDirectories(p));
                dirs.add(p.resolve("lib64"));
                dirs.add(p.resolve("targets/x86_64-linux/lib"));
                dirs.add(p.resolve("lib"));
            }
            steps.add(new Step(explicitLabel + " = " + value, existing(dirs),
                    "in " + value + " (as a directory, a site-packages directory or a CUDA install root; nothing"
                            + " else is searched while it is set)", null));
            return steps;
        }
        steps.add(new Step(explicitLabel, List.of(), "", "not set"));

        List<String> pythonNotes = new ArrayList<>();
        List<Path> sites = sitePackages(pythonNotes);
        Set<Path> pip = new LinkedHashSet<>();
        for (Path site : sites) pip.addAll(pipDirectories(site));
        String pythonNote = pythonNotes.isEmpty() ? "" : " (" + String.join("; ", pythonNotes) + ")";
        steps.add(new Step("pip-installed NVIDIA wheels", existing(pip),
                "under nvidia/*/lib of " + sites + pythonNote, null));

        Set<Path> cuda = new LinkedHashSet<>(pathList(System.getenv("LD_LIBRARY_PATH")));
        for (String home : new String[] {System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda"}) {
            if (home == null || home.isBlank()) continue;
            cuda.add(Path.of(home, "lib64"));
            cuda.add(Path.of(home, "targets", "x86_64-linux", "lib"));
        }
        List<Path> cudaDirs = existing(cuda);
        steps.add(new Step("LD_LIBRARY_PATH and the CUDA install", cudaDirs, "in " + cudaDirs, null));

        List<Path> system = NativeLibraries.systemLibraryDirectories();
        steps.add(new Step("system library path", system, "in " + system, null));
        return steps;
    }

    /** {@code site/nvidia/<sub>/lib} for every layout NVIDIA's wheels use (CUDA 13: {@code cu13}; 12: per library). */
    private static List<Path> pipDirectories(Path site) {
        List<Path> dirs = new ArrayList<>();
        for (String sub : List.of("cu13/lib", "cudnn/lib", "cublas/lib", "cuda_runtime/lib")) {
            dirs.add(site.resolve("nvidia").resolve(sub));
        }
        return dirs;
    }

    /**
     * The site-packages directories to search, in order: those of the configured Python (else {@code python3} on the
     * PATH), of the active virtual or conda environment, then the usual user and system ones.
     */
    static List<Path> sitePackages(List<String> notes) {
        Set<Path> sites = new LinkedHashSet<>();
        Config setting = Config.CUDA_PYTHON;
        String configured = setting.get();
        String python = null;
        if (!configured.isEmpty()) {
            Path p = Path.of(configured);
            if (Files.isDirectory(p)) { // a virtual environment
                Path bin = p.resolve("bin").resolve("python3");
                python = (Files.isExecutable(bin) ? bin : p.resolve("bin").resolve("python")).toString();
            } else {
                python = configured;
            }
        } else {
            python = onPath("python3");
        }
        if (python != null) {
            List<Path> asked = askPython(python, notes);
            if (asked.isEmpty() && !configured.isEmpty()) {
                notes.add(setting.property() + " = " + configured + " gave no site-packages");
            }
            sites.addAll(asked);
        } else {
            notes.add("no python3 on the PATH");
        }
        for (String env : new String[] {System.getenv("VIRTUAL_ENV"), System.getenv("CONDA_PREFIX")}) {
            if (env != null && !env.isBlank()) sites.addAll(glob(Path.of(env, "lib"), "python3*", "site-packages"));
        }
        String home = System.getProperty("user.home");
        if (home != null) sites.addAll(glob(Path.of(home, ".local", "lib"), "python3*", "site-packages"));
        sites.addAll(glob(Path.of("/usr/local/lib"), "python3*", "dist-packages"));
        sites.addAll(glob(Path.of("/usr/local/lib"), "python3*", "site-packages"));
        sites.add(Path.of("/usr/lib/python3/dist-packages"));
        sites.addAll(glob(Path.of("/usr/lib"), "python3*", "site-packages"));
        return existing(sites);
    }

    private static List<Path> askPython(String python, List<String> notes) {
        String code = "import site,sys\n"
                + "print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))";
        ProcessBuilder pb = new ProcessBuilder(python, "-c", code).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        log("asking " + python + " for its site-packages");
        try {
            Process p = pb.start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                notes.add(python + " did not answer");
                return List.of();
            }
            if (p.exitValue() != 0) {
                notes.add(python + " exited with " + p.exitValue());
                return List.of();
            }
            List<Path> dirs = new ArrayList<>();
            for (String line : out.split("\n")) {
                String d = line.strip();
                // sys.path also lists the standard library and zip files; only package directories hold wheels.
                if (d.endsWith("site-packages") || d.endsWith("dist-packages")) dirs.add(Path.of(d));
            }
            return dirs;
        } catch (IOException e) {
            notes.add("running " + python + " failed: " + e.getMessage());
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            notes.add("interrupted while asking " + python);
            return List.of();
        }
    }

    private static String onPath(String program) {
        for (Path dir : pathList(System.getenv("PATH"))) {
            Path p = dir.resolve(program);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    private static List<Path> glob(Path dir, String pattern, String child) {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, pattern)) {
            for (Path p : s) found.add(p.resolve(child));
        } catch (IOException | UncheckedIOException ignored) {
            // an unreadable directory only narrows the search
        }
        found.sort(null);
        return found;
    }

    private static List<Path> pathList(String list) {
        List<Path> dirs = new ArrayList<>();
        if (list == null) return dirs;
        for (String d : list.split(File.pathSeparator)) if (!d.isBlank()) dirs.add(Path.of(d));
        return dirs;
    }

    private static List<Path> existing(Set<Path> dirs) {
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    // ---- reporting ----------------------------------------------------------------------------------------------

    private static String failureMessage(Component c, List<String> tried) {
        StringBuilder sb = new StringBuilder(c.toString()).append(" could not be loaded. Tried, in order:");
        for (int i = 0; i < tried.size(); i++) sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        sb.append("\nFix: ").append(c.remedy);
        if (c != Component.CUDART) {
            sb.append(" (into the python3 on the PATH, or point ").append(Config.CUDA_PYTHON.property())
                    .append(" / ").append(Config.CUDA_PYTHON.environmentVariable())
                    .append(" at the Python or virtual environment that has it)");
        }
        sb.append(", or set ").append(Config.CUDA_PATH.property()).append(" / ")
                .append(Config.CUDA_PATH.environmentVariable()).append(" to the directory holding ")
                .append(String.join(", ", c.allFileNames()))
                .append(" (':'-separated places; a site-packages directory or a CUDA install root also works).");
        if (!Config.DEBUG.getBoolean()) {
            sb.append(" Run with -D").append(Config.DEBUG.property()).append("=true for every step.");
        }
        return sb.toString();
    }

    private static void note(List<String> tried, String what) {
        tried.add(what);
        log(what);
    }

    private static void log(String message) {
        if (Config.DEBUG.getBoolean()) System.err.println("[loss4j native] CUDA: " + message);
    }
}

package org.loss4j.internal.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.stream.Stream;
import org.loss4j.internal.Config;

/**
 * Finds and loads the shared libraries of a native backend, in a fixed order, each step logged when
 * {@code loss4j.debug} is true:
 * <ol>
 *   <li>an explicit path ({@link Config#ONEDNN_PATH}); when set it is the only place searched, so a wrong setting is
 *       reported rather than hidden by another copy;</li>
 *   <li>the jars on the class path (Maven dependencies): the libraries are extracted once into
 *       {@code <cache>/<checksum>/} under a file lock, each file written beside its final name and renamed into place
 *       atomically, so two JVMs starting at once neither race nor see a half-written file;</li>
 *   <li>the system library path ({@code java.library.path}, {@code LD_LIBRARY_PATH}, {@code /etc/ld.so.conf.d}, the
 *       usual lib directories).</li>
 * </ol>
 * Libraries are loaded with {@link System#load} in dependency order. Because the jextract bindings are generated
 * without {@code --library}, they resolve symbols through {@link java.lang.foreign.SymbolLookup#loaderLookup()}, which
 * sees libraries that a class of the same class loader (this one) has loaded. So {@link #load} must run before the
 * first generated call. A failure throws one {@link UnsatisfiedLinkError} listing every step and how to fix it.
 */
public final class NativeLibraries {

    private NativeLibraries() {}

    /** One shared library: its file name (the soname) and where a jar on the class path carries it. */
    public record Library(String fileName, String resource) {}

    /**
     * The libraries a backend loads together, in dependency order; the last one is the library itself, the others
     * are its dependencies (loaded first so that they are found whatever the system has).
     */
    public record Bundle(String name, Config explicitPath, List<Library> libraries, String mavenCoordinates) {
        public Library main() {
            return libraries.getLast();
        }
    }

    /** Where a bundle was loaded from. */
    public record Loaded(String bundle, String source, List<Path> files) {}

    private static final String PLATFORM = "linux-x86_64";

    /**
     * oneDNN 3.x: {@code libgomp.so.1} (its OpenMP runtime) and {@code libOpenCL.so.1} (a NEEDED entry of
     * {@code libdnnl.so.3} for its GPU runtime, missing on a fresh machine) before {@code libdnnl.so.3}.
     */
    public static final Bundle ONEDNN = new Bundle("oneDNN", Config.ONEDNN_PATH, List.of(
            new Library("libgomp.so.1", "org/bytedeco/dnnl/" + PLATFORM + "/libgomp.so.1"),
            new Library("libOpenCL.so.1", "org/bytedeco/opencl/" + PLATFORM + "/libOpenCL.so.1"),
            new Library("libdnnl.so.3", "org/bytedeco/dnnl/" + PLATFORM + "/libdnnl.so.3")),
            "org.bytedeco:dnnl:3.8.1-1.5.12:jar:" + PLATFORM + " and org.bytedeco:opencl:3.0-1.5.12:jar:" + PLATFORM);

    private static final Map<String, Loaded> LOADED = new LinkedHashMap<>();
    private static final Map<String, String> FAILED = new LinkedHashMap<>();

    /** Loads oneDNN's libraries (once per JVM). */
    public static Loaded loadOneDnn() {
        return load(ONEDNN);
    }

    /**
     * Loads {@code bundle} once per JVM; later calls return the first result or throw the first failure again.
     *
     * @throws UnsatisfiedLinkError listing what was tried and the fix
     */
    public static synchronized Loaded load(Bundle bundle) {
        Loaded done = LOADED.get(bundle.name());
        if (done != null) return done;
        String failure = FAILED.get(bundle.name());
        if (failure != null) throw new UnsatisfiedLinkError(failure);

        List<String> tried = new ArrayList<>();
        Loaded loaded = fromExplicitPath(bundle, tried);
        if (loaded == null && bundle.explicitPath().get().isEmpty()) {
            loaded = fromClassPath(bundle, tried);
            if (loaded == null) loaded = fromSystemPath(bundle, tried);
        }
        if (loaded != null) {
            log(bundle.name() + ": loaded from " + loaded.source());
            LOADED.put(bundle.name(), loaded);
            return loaded;
        }
        String message = failureMessage(bundle, tried);
        FAILED.put(bundle.name(), message);
        log(message);
        throw new UnsatisfiedLinkError(message);
    }

    // ---- 1. explicit path --------------------------------------------------------------------------------------

    private static Loaded fromExplicitPath(Bundle bundle, List<String> tried) {
        Config setting = bundle.explicitPath();
        String value = setting.get();
        String step = "explicit path (" + setting.property() + " / " + setting.environmentVariable() + ")";
        if (value.isEmpty()) {
            note(tried, step + ": not set");
            return null;
        }
        Path given = Path.of(value).toAbsolutePath();
        Path dir = Files.isDirectory(given) ? given : given.getParent();
        Path main = Files.isDirectory(given) ? given.resolve(bundle.main().fileName()) : given;
        if (!Files.isRegularFile(main)) {
            note(tried, step + " = " + value + ": no " + main + " (the class path and the system path are not"
                    + " searched while it is set)");
            return null;
        }
        List<Path> files = new ArrayList<>();
        for (Library lib : bundle.libraries()) {
            if (lib == bundle.main()) continue;
            Path dep = dir.resolve(lib.fileName());
            if (Files.isRegularFile(dep)) files.add(dep); // else left to the system's dynamic loader
        }
        files.add(main);
        return loadAll(bundle, step + " = " + value, files, tried);
    }

    // ---- 2. jars on the class path -----------------------------------------------------------------------------

    private static Loaded fromClassPath(Bundle bundle, List<String> tried) {
        String step = "class path";
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            note(tried, step + ": the bundled natives are for " + PLATFORM + ", this is " + os + "-" + arch);
            return null;
        }
        ClassLoader loader = NativeLibraries.class.getClassLoader();
        if (loader == null) loader = ClassLoader.getSystemClassLoader();
        Map<Library, URL> found = new LinkedHashMap<>();
        for (Library lib : bundle.libraries()) {
            URL url = loader.getResource(lib.resource());
            log(bundle.name() + ": class path: " + lib.resource() + (url == null ? ": absent" : " -> " + url));
            if (url != null) found.put(lib, url);
        }
        if (!found.containsKey(bundle.main())) {
            note(tried, step + ": no " + bundle.main().resource() + " (jar " + bundle.mavenCoordinates()
                    + " not on the class path)");
            return null;
        }
        try {
            List<Entry> entries = new ArrayList<>();
            for (var e : found.entrySet()) entries.add(Entry.of(e.getKey(), e.getValue()));
            Path dir = cacheRoot().resolve(checksum(entries));
            List<Path> files = extract(bundle, entries, dir);
            String missing = bundle.libraries().stream().filter(l -> !found.containsKey(l)).map(Library::fileName)
                    .reduce((a, b) -> a + ", " + b).map(s -> "; not bundled, left to the system: " + s).orElse("");
            return loadAll(bundle, step + " (extracted to " + dir + missing + ")", files, tried);
        } catch (IOException | UncheckedIOException e) {
            note(tried, step + ": extracting " + bundle.main().fileName() + " failed: " + e);
            return null;
        }
    }

    /** A library found in a jar (or directory) on the class path, with what identifies its content. */
    private record Entry(Library library, URL url, long size, String identity) {
        static Entry of(Library library, URL url) throws IOException {
            URLConnection c = url.openConnection();
            if (c instanceof JarURLConnection jar) {
                // The zip directory's size and CRC identify the content without reading the 90 MB of libdnnl.
                JarEntry e = jar.getJarEntry();
                if (e.getSize() >= 0 && e.getCrc() >= 0) {
                    return new Entry(library, url, e.getSize(), "size=" + e.getSize() + ",crc32=" + e.getCrc());
                }
            }
            try (InputStream in = url.openStream()) {
                MessageDigest sha = sha256();
                byte[] buf = new byte[1 << 16];
                long size = 0;
                for (int n; (n = in.read(buf)) > 0; size += n) sha.update(buf, 0, n);
                return new Entry(library, url, size, "size=" + size + ",sha256=" + HexFormat.of().formatHex(sha.digest()));
            }
        }
    }

    private static String checksum(List<Entry> entries) {
        MessageDigest sha = sha256();
        for (Entry e : entries) {
            sha.update((e.library().fileName() + ':' + e.identity() + '\n').getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    static Path cacheRoot() {
        String configured = Config.NATIVE_CACHE.get();
        if (!configured.isEmpty()) return Path.of(configured);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("loss4j").resolve("native");
    }

    /**
     * Extracts the entries into {@code dir} unless complete copies are there. Files only ever appear by an atomic
     * rename, so a file of the right size is complete; writers serialise on {@code dir/.lock} (an OS file lock, so
     * it also holds across JVMs).
     */
    private static List<Path> extract(Bundle bundle, List<Entry> entries, Path dir) throws IOException {
        List<Path> files = entries.stream().map(e -> dir.resolve(e.library().fileName())).toList();
        if (allPresent(entries, files)) {
            log(bundle.name() + ": cache hit " + dir);
            return files;
        }
        Files.createDirectories(dir);
        try (FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                Path target = files.get(i);
                if (isComplete(target, e.size())) continue;
                log(bundle.name() + ": extracting " + e.url() + " -> " + target);
                Path part = Files.createTempFile(dir, "." + e.library().fileName() + ".", ".part");
                try {
                    try (InputStream in = e.url().openStream()) {
                        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                    }
                    if (Files.size(part) != e.size()) {
                        throw new IOException("wrote " + Files.size(part) + " bytes of " + e.url() + ", expected " + e.size());
                    }
                    Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rwxr-xr-x"));
                    try {
                        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException unsupported) {
                        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } finally {
                    Files.deleteIfExists(part);
                }
            }
        }
        return files;
    }

    private static boolean allPresent(List<Entry> entries, List<Path> files) {
        for (int i = 0; i < entries.size(); i++) {
            if (!isComplete(files.get(i), entries.get(i).size())) return false;
        }
        return true;
    }

    private static boolean isComplete(Path file, long size) {
        try {
            return Files.isRegularFile(file) && Files.size(file) == size;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- 3. system library path --------------------------------------------------------------------------------

    private static Loaded fromSystemPath(Bundle bundle, List<String> tried) {
        String name = bundle.main().fileName();
        List<Path> dirs = systemLibraryDirectories();
        for (Path dir : dirs) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                // Its dependencies are resolved by the system's dynamic loader.
                return loadAll(bundle, "system library path (" + dir + ")", List.of(candidate), tried);
            }
        }
        note(tried, "system library path: no " + name + " in " + dirs);
        return null;
    }

    static List<Path> systemLibraryDirectories() {
        Set<String> dirs = new LinkedHashSet<>();
        for (String list : new String[] {System.getProperty("java.library.path"), System.getenv("LD_LIBRARY_PATH")}) {
            if (list == null) continue;
            for (String d : list.split(java.io.File.pathSeparator)) if (!d.isBlank()) dirs.add(d);
        }
        Path conf = Path.of("/etc/ld.so.conf.d");
        if (Files.isDirectory(conf)) {
            try (Stream<Path> files = Files.list(conf)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".conf")).sorted().toList()) {
                    for (String line : Files.readAllLines(f)) {
                        String d = line.strip();
                        if (d.startsWith("/")) dirs.add(d);
                    }
                }
            } catch (IOException | UncheckedIOException ignored) {
                // an unreadable ld.so.conf.d only narrows the search
            }
        }
        dirs.addAll(List.of("/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64",
                "/lib64", "/usr/lib", "/lib"));
        return dirs.stream().map(Path::of).filter(Files::isDirectory).toList();
    }

    // ---- loading and reporting ---------------------------------------------------------------------------------

    /**
     * {@link System#load}s {@code file} after checking that it is a complete ELF shared library for this machine: the
     * dynamic loader maps a truncated library's segments past the end of the file and the process dies of SIGBUS on
     * first touch (found by ReliabilityTest: a truncated libdnnl.so.3 killed the JVM inside System.load), so a
     * library whose headers, program headers, loadable segments or section headers end beyond the file is refused.
     *
     * @throws UnsatisfiedLinkError naming the file and the problem
     */
    public static void load(Path file) {
        String problem = elfProblem(file);
        if (problem != null) throw new UnsatisfiedLinkError(file + ": " + problem);
        System.load(file.toString());
    }

    /** Why {@code file} is not a complete ELF64 little-endian shared library for this machine, or null if it is. */
    public static String elfProblem(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
                // read the header
            }
            if (h.position() < 64 || h.getInt(0) != 0x464c457f) {
                return "not an ELF shared library (" + size + " bytes; corrupt, or not a library)";
            }
            if (h.get(4) != 2 || h.get(5) != 1) return "not a 64-bit little-endian ELF library";
            int machine = h.getShort(18) & 0xffff;
            String arch = System.getProperty("os.arch", "");
            int want = arch.equals("amd64") || arch.equals("x86_64") ? 62 : arch.equals("aarch64") ? 183 : -1;
            if (want >= 0 && machine != want) return "built for ELF machine " + machine + ", this JVM is " + arch;
            long phoff = h.getLong(32), shoff = h.getLong(40);
            int phentsize = h.getShort(54) & 0xffff, phnum = h.getShort(56) & 0xffff;
            int shentsize = h.getShort(58) & 0xffff, shnum = h.getShort(60) & 0xffff;
            String truncated = "truncated or corrupt: %s ends at byte %d, the file has " + size + " bytes";
            long phend = phoff + (long) phentsize * phnum;
            if (phoff < 0 || phentsize < 56 || phend > size) return String.format(truncated, "the program header table", phend);
            java.nio.ByteBuffer ph = java.nio.ByteBuffer.allocate((int) (phend - phoff)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (ph.hasRemaining() && ch.read(ph, phoff + ph.position()) > 0) {
                // read the program headers
            }
            for (int i = 0; i < phnum; i++) {
                int base = i * phentsize;
                if (ph.getInt(base) != 1) continue; // PT_LOAD only
                long off = ph.getLong(base + 8), filesz = ph.getLong(base + 32);
                if (off < 0 || filesz < 0 || off + filesz > size) return String.format(truncated, "loadable segment " + i, off + filesz);
            }
            long shend = shoff + (long) shentsize * shnum;
            if (shoff != 0 && (shoff < 0 || shend > size)) return String.format(truncated, "the section header table", shend);
            return null;
        } catch (IOException e) {
            return "unreadable: " + e;
        }
    }

    private static Loaded loadAll(Bundle bundle, String source, List<Path> files, List<String> tried) {
        for (Path f : files) {
            try {
                log(bundle.name() + ": System.load " + f);
                load(f);
            } catch (UnsatisfiedLinkError e) {
                note(tried, source + ": loading " + f + " failed: " + e.getMessage());
                return null;
            }
        }
        return new Loaded(bundle.name(), source, List.copyOf(files));
    }

    private static String failureMessage(Bundle bundle, List<String> tried) {
        StringBuilder sb = new StringBuilder(bundle.name()).append(" native libraries could not be loaded. Tried, in order:");
        for (int i = 0; i < tried.size(); i++) sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        Config setting = bundle.explicitPath();
        String names = String.join(", ", bundle.libraries().stream().map(Library::fileName).toList());
        sb.append("\nFix: put ").append(bundle.mavenCoordinates())
                .append(" on the class path (loss4j's Maven dependencies bring them), or set ")
                .append(setting.property()).append(" (env ").append(setting.environmentVariable())
                .append(") to a directory holding ").append(names)
                .append(", or install them on the system library path.");
        if (String.join("\n", tried).contains("libOpenCL")) {
            sb.append("\n").append(bundle.main().fileName())
                    .append(" needs libOpenCL.so.1: the opencl jar above carries it (extracted beside it), or install"
                            + " an OpenCL ICD loader (Debian: ocl-icd-libopencl1).");
        }
        if (!Config.DEBUG.getBoolean()) {
            sb.append("\nRun with -D").append(Config.DEBUG.property()).append("=true for every step.");
        }
        return sb.toString();
    }

    private static void note(List<String> tried, String what) {
        tried.add(what);
        log(what);
    }

    private static void log(String message) {
        if (Config.DEBUG.getBoolean()) System.err.println("[loss4j native] " + message);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}

package org.loss4j.internal.vectors;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.internal.Config;

/**
 * Reads the PyTorch vectors ({@code <Loss>.json} + {@code <Loss>.bin}, written by {@code test-vectors/generate.py})
 * from a directory, or from the copy bundled in the jar. No Python is needed.
 */
public final class VectorSet {

    private static final String RESOURCE_DIR = "/org/loss4j/vectors/";

    private final Path dir; // null: class path
    private final Map<String, Object> manifest;

    private VectorSet(Path dir) {
        this.dir = dir;
        this.manifest = asMap(Json.parse(readText("manifest.json")));
    }

    /** The vectors of {@code loss4j.vectors} if set, else the bundled ones. */
    public static VectorSet load() {
        String d = Config.VECTORS.get();
        return d.isEmpty() ? new VectorSet(null) : fromDirectory(Path.of(d));
    }

    public static VectorSet fromDirectory(Path dir) {
        if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
            throw new IllegalArgumentException("no vectors in " + dir + " (manifest.json missing); run test-vectors/generate.py");
        }
        return new VectorSet(dir);
    }

    /** Where the vectors come from, for reports. */
    public String source() {
        return dir == null ? "bundled in the loss4j jar" : dir.toString();
    }

    /** The PyTorch version that generated them. */
    public String torchVersion() {
        return String.valueOf(manifest.get("torch"));
    }

    /** Loss names with vectors, sorted. */
    public List<String> losses() {
        return new ArrayList<>(new TreeMap<>(asMap(manifest.get("losses"))).keySet());
    }

    /** All cases of one loss. */
    public List<VectorCase> cases(String loss) {
        Map<String, Object> root = asMap(Json.parse(readText(loss + ".json")));
        MemorySegment bin = MemorySegment.ofArray(readBytes(loss + ".bin"));
        List<VectorCase> out = new ArrayList<>();
        for (Object o : (List<?>) root.get("cases")) {
            out.add(toCase(asMap(o), bin));
        }
        return out;
    }

    /** Every case of every loss. */
    public List<VectorCase> all() {
        List<VectorCase> out = new ArrayList<>();
        for (String l : losses()) out.addAll(cases(l));
        return out;
    }

    private static VectorCase toCase(Map<String, Object> m, MemorySegment bin) {
        String name = (String) m.get("name");
        Map<String, Object> options = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : asMap(m.get("options")).entrySet()) {
            options.put(e.getKey(), option(e.getValue(), bin));
        }
        List<String> argNames = new ArrayList<>();
        List<Tensor> args = new ArrayList<>();
        for (Object a : (List<?>) m.get("args")) {
            Map<String, Object> am = asMap(a);
            argNames.add((String) am.get("name"));
            args.add(tensor(am.get("tensor"), bin));
        }
        Map<String, Tensor> grads = new LinkedHashMap<>();
        if (m.get("grads") != null) {
            for (Map.Entry<String, Object> e : asMap(m.get("grads")).entrySet()) grads.put(e.getKey(), tensor(e.getValue(), bin));
        }
        Map<String, Tensor> extras = new LinkedHashMap<>();
        if (m.get("extras") != null) {
            for (Map.Entry<String, Object> e : asMap(m.get("extras")).entrySet()) extras.put(e.getKey(), tensor(e.getValue(), bin));
        }
        VectorCase.ExpectedError err = null;
        if (m.get("error") != null) {
            Map<String, Object> em = asMap(m.get("error"));
            List<String> mentions = new ArrayList<>();
            for (Object x : (List<?>) em.get("mentions")) mentions.add((String) x);
            err = new VectorCase.ExpectedError((String) em.get("java"), mentions, (String) em.get("torch"),
                    (String) em.get("stricter_than_torch"));
        }
        Tolerance tol = null;
        if (m.get("tolerance") != null) {
            Map<String, Object> tm = asMap(m.get("tolerance"));
            tol = new Tolerance(((Number) tm.get("rel")).doubleValue(), ((Number) tm.get("abs")).doubleValue(), (String) tm.get("why"));
            if (tol.why() == null || tol.why().isBlank()) {
                throw new IllegalArgumentException("vector " + name + " loosens the tolerance without a reason");
            }
        }
        return new VectorCase(name, (String) m.get("loss"), options, argNames, args.toArray(Tensor[]::new),
                m.get("output") == null ? null : tensor(m.get("output"), bin),
                m.get("grad_output") == null ? null : tensor(m.get("grad_output"), bin), grads, extras, err, tol);
    }

    private static Object option(Object v, MemorySegment bin) {
        if (v instanceof Map<?, ?> mm && mm.containsKey("tensor")) return tensor(mm.get("tensor"), bin);
        if ("nan".equals(v)) return Double.NaN;
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(option(x, bin));
            return out;
        }
        return v;
    }

    /** A fresh copy of a tensor in the blob (native byte order), so no case can affect another. */
    private static Tensor tensor(Object ref, MemorySegment bin) {
        Map<String, Object> r = asMap(ref);
        DType dt = DType.parse((String) r.get("dtype"));
        List<?> sl = (List<?>) r.get("shape");
        long[] shape = new long[sl.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = ((Number) sl.get(i)).longValue();
        long off = ((Number) r.get("offset")).longValue();
        Tensor t = Tensor.zeros(dt, shape);
        MemorySegment src = bin.asSlice(off, t.byteSize());
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            MemorySegment.copy(src, 0, t.segment(), 0, t.byteSize());
        } else {
            throw new UnsupportedOperationException("big-endian hosts are not supported by the vector reader");
        }
        return t;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    private String readText(String file) {
        return new String(readBytes(file), StandardCharsets.UTF_8);
    }

    private byte[] readBytes(String file) {
        try {
            if (dir != null) return Files.readAllBytes(dir.resolve(file));
            try (InputStream in = VectorSet.class.getResourceAsStream(RESOURCE_DIR + file)) {
                if (in == null) {
                    throw new IllegalStateException("bundled vector file " + file + " is missing from the jar; rebuild, or set "
                            + Config.VECTORS.property() + " to a test-vectors/data directory");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vector file " + file, e);
        }
    }
}

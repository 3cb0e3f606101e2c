package org.loss4j.internal.nativelib;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.loss4j.internal.Config;

/**
 * Leak tracking for native objects ({@code loss4j.leaks=true}, see {@link Config#LEAKS}). Owners call
 * {@link #allocated} right after creating a native object and {@link #freed} right after destroying it; with the mode
 * on, each live object is kept with the thread and stack trace that made it, so {@link #report()} can say where a
 * leaked one came from, and a second free of the same object (or a free of one never tracked) is recorded as a
 * double free. With the mode off both calls return at once (a constant-folded check), and only the per-kind
 * counters run.
 *
 * <p>Objects are identified by kind and address (a live native object's address is unique within its kind).
 */
public final class NativeLeaks {

    private NativeLeaks() {}

    /** Whether leak tracking is on (read once, at class initialisation). */
    public static final boolean ENABLED = Config.LEAKS.getBoolean();

    /** One live tracked native object. */
    public record Allocation(String kind, long address, String thread, long sequence, Throwable where) {
        /** Kind, address, thread and the stack trace of the allocation. */
        public String describe() {
            StringWriter sw = new StringWriter();
            where.printStackTrace(new PrintWriter(sw));
            return kind + " 0x" + Long.toHexString(address) + " allocated by thread '" + thread + "' (#" + sequence
                    + ") at\n" + sw.toString().lines().skip(1).map(l -> "    " + l.strip()).reduce((a, b) -> a + "\n" + b).orElse("");
        }
    }

    private record Id(String kind, long address) {}

    private static final ConcurrentMap<Id, Allocation> LIVE = new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, AtomicLong[]> COUNTS = new ConcurrentHashMap<>();
    private static final List<String> DOUBLE_FREES = java.util.Collections.synchronizedList(new ArrayList<>());
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private static AtomicLong[] counts(String kind) {
        return COUNTS.computeIfAbsent(kind, k -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
    }

    /** Records a new native object of {@code kind} (e.g. {@code "onednn primitive"}) at {@code address}. */
    public static void allocated(String kind, long address) {
        if (!ENABLED) return;
        counts(kind)[0].incrementAndGet();
        Id id = new Id(kind, address);
        Allocation a = new Allocation(kind, address, Thread.currentThread().getName(), SEQUENCE.incrementAndGet(),
                new Throwable("allocated here"));
        Allocation old = LIVE.put(id, a);
        if (old != null) DOUBLE_FREES.add("allocated twice without a free (a free was missed): " + old.describe());
    }

    /** Records that the native object of {@code kind} at {@code address} was destroyed. */
    public static void freed(String kind, long address) {
        if (!ENABLED) return;
        counts(kind)[1].incrementAndGet();
        if (LIVE.remove(new Id(kind, address)) == null) {
            StringWriter sw = new StringWriter();
            new Throwable("freed here").printStackTrace(new PrintWriter(sw));
            DOUBLE_FREES.add(kind + " 0x" + Long.toHexString(address) + " freed twice or never tracked:\n" + sw);
        }
    }

    /** The tracked objects not freed yet, oldest first (empty when tracking is off). */
    public static List<Allocation> outstanding() {
        List<Allocation> out = new ArrayList<>(LIVE.values());
        out.sort(Comparator.comparingLong(Allocation::sequence));
        return out;
    }

    /** The tracked objects of {@code kind} not freed yet. */
    public static List<Allocation> outstanding(String kind) {
        return outstanding().stream().filter(a -> a.kind().equals(kind)).toList();
    }

    /** Frees of objects that were not live (double frees), with where they happened. */
    public static List<String> doubleFrees() {
        synchronized (DOUBLE_FREES) {
            return List.copyOf(DOUBLE_FREES);
        }
    }

    /** Per kind: {allocated, freed} while tracking was on. */
    public static Map<String, long[]> counts() {
        Map<String, long[]> m = new java.util.TreeMap<>();
        COUNTS.forEach((k, v) -> m.put(k, new long[] {v[0].get(), v[1].get()}));
        return m;
    }

    /** A readable report: counts per kind, every leak with its allocation stack trace, every double free. */
    public static String report() {
        if (!ENABLED) return "leak tracking is off (run with -D" + Config.LEAKS.property() + "=true)";
        List<Allocation> live = outstanding();
        List<String> doubles = doubleFrees();
        StringBuilder sb = new StringBuilder("loss4j native objects: ");
        counts().forEach((k, v) -> sb.append(k).append(' ').append(v[0]).append(" allocated/").append(v[1]).append(" freed; "));
        sb.append(live.size()).append(" outstanding, ").append(doubles.size()).append(" double frees");
        for (Allocation a : live) sb.append("\nLEAK: ").append(a.describe());
        for (String d : doubles) sb.append("\nDOUBLE FREE: ").append(d);
        return sb.toString();
    }
}

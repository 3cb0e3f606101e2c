package org.loss4j.loss;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.loss4j.Reduction;
import org.loss4j.Tensor;

/**
 * Options by PyTorch's keyword names ({@code reduction}, {@code ignore_index}, {@code label_smoothing}, ...), for
 * building losses from configuration ({@link Losses#fromPyTorch}). Unknown names and wrong types are rejected.
 */
public final class LossOptions {

    private final String loss;
    private final Map<String, Object> values;
    private final Set<String> used = new TreeSet<>();

    public LossOptions(String loss, Map<String, ?> values) {
        this.loss = loss;
        this.values = new LinkedHashMap<>(values == null ? Map.of() : values);
    }

    private Object take(String key) {
        used.add(key);
        return values.get(key);
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    public double getDouble(String key, double def) {
        Object v = take(key);
        if (v == null) return def;
        if (v instanceof Number n) return n.doubleValue();
        throw wrongType(key, v, "a number");
    }

    public long getLong(String key, long def) {
        Object v = take(key);
        if (v == null) return def;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
        throw wrongType(key, v, "an integer");
    }

    public boolean getBoolean(String key, boolean def) {
        Object v = take(key);
        if (v == null) return def;
        if (v instanceof Boolean b) return b;
        throw wrongType(key, v, "true or false");
    }

    public String getString(String key, String def) {
        Object v = take(key);
        if (v == null) return def;
        if (v instanceof String s) return s;
        throw wrongType(key, v, "a string");
    }

    /** A tensor option such as {@code weight}; null if absent. */
    public Tensor getTensor(String key) {
        Object v = take(key);
        if (v == null) return null;
        if (v instanceof Tensor t) return t;
        throw wrongType(key, v, "a Tensor");
    }

    /** A list of longs (e.g. {@code cutoffs}); null if absent. */
    public long[] getLongs(String key) {
        Object v = take(key);
        if (v == null) return null;
        if (v instanceof long[] a) return a.clone();
        if (v instanceof int[] a) return java.util.Arrays.stream(a).asLongStream().toArray();
        if (v instanceof java.util.List<?> l) {
            long[] out = new long[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Number n)) throw wrongType(key, v, "a list of integers");
                out[i] = n.longValue();
            }
            return out;
        }
        throw wrongType(key, v, "a list of integers");
    }

    /** Any other value (e.g. a distance function); null if absent. */
    public Object getObject(String key) {
        return take(key);
    }

    public Reduction reduction(Reduction def) {
        String s = getString("reduction", null);
        return s == null ? def : Reduction.parse(s);
    }

    /** Throws if an option was given that the loss did not read. Call last. */
    public void finish() {
        for (String k : values.keySet()) {
            if (!used.contains(k)) {
                throw new IllegalArgumentException(loss + " has no option '" + k + "'; it takes " + used);
            }
        }
    }

    private IllegalArgumentException wrongType(String key, Object v, String want) {
        return new IllegalArgumentException(loss + " option '" + key + "' must be " + want + ", got " + v
                + " (" + v.getClass().getSimpleName() + ")");
    }
}

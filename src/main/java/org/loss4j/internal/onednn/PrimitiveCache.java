package org.loss4j.internal.onednn;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded cache of oneDNN primitives by {@link OnePrimitive.Key} (op, shapes, data type, algorithm, attributes).
 * A key is created once, by one thread (others asking for it meanwhile wait), and then executed concurrently by any
 * thread. When the cache holds {@code capacity} primitives, a new key's primitive is still created but marked
 * transient: {@link ExecutionContext#run} destroys it after its call (correct, only slower), so a service with
 * unbounded shapes cannot grow native memory. Cached primitives live as long as the process.
 */
public final class PrimitiveCache {

    private final OneDnnRuntime rt;
    private final int capacity;
    private final ConcurrentHashMap<Object, OnePrimitive> map = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger(); // entries in map or being created: never > capacity
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong transientCreated = new AtomicLong();
    final AtomicLong destroyed = new AtomicLong();

    PrimitiveCache(OneDnnRuntime rt, int capacity) {
        this.rt = rt;
        this.capacity = capacity;
    }

    /**
     * The primitive for {@code key}, created by {@code factory} on first use and cached while there is room, else
     * transient (see the class comment: pass it to {@link ExecutionContext#run} exactly once; if it is never run, a
     * {@link java.lang.ref.Cleaner} frees it). The factory must not call back into this cache.
     *
     * @throws OneDnnException if oneDNN cannot create it (nothing is cached then)
     */
    public OnePrimitive primitive(Object key, OnePrimitive.Factory factory) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(factory, "factory");
        OnePrimitive p = map.get(key);
        if (p != null) return p;
        if (reserved.get() < capacity) {
            p = map.computeIfAbsent(key, k -> {
                if (reserved.incrementAndGet() > capacity) { // lost a race for the last places: transient below
                    reserved.decrementAndGet();
                    return null;
                }
                try {
                    OnePrimitive q = OnePrimitive.create(rt, this, k, factory, false);
                    created.incrementAndGet();
                    return q;
                } catch (RuntimeException | Error e) {
                    reserved.decrementAndGet();
                    throw e;
                }
            });
            if (p != null) return p;
        }
        p = OnePrimitive.create(rt, this, key, factory, true);
        transientCreated.incrementAndGet();
        return p;
    }

    /** The most primitives kept. */
    public int capacity() {
        return capacity;
    }

    /** Primitives cached now. */
    public int size() {
        return map.size();
    }

    /** Primitives created and cached so far (a repeated key creates none). */
    public long created() {
        return created.get();
    }

    /** Transient primitives created so far (the cache was full). */
    public long transientCreated() {
        return transientCreated.get();
    }

    /** Primitives of this cache destroyed so far (transient ones only: cached ones live as long as the process). */
    public long destroyed() {
        return destroyed.get();
    }
}

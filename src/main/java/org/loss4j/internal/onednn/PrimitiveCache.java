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
 * unbounded shapes cannot grow native memory. Cached primitives live until the runtime closes
 * ({@link OneDnnRuntime#shutdown()}), which destroys every primitive of every cache exactly once.
 */
public final class PrimitiveCache {

    private final OneDnnRuntime rt;
    private final int capacity;
    private final ConcurrentHashMap<Object, OnePrimitive> map = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger(); // entries in map or being created: never > capacity
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong transientCreated = new AtomicLong();
    final AtomicLong destroyed = new AtomicLong();
    /** Every primitive of this cache not destroyed yet (cached and transient), for {@link #close()}. */
    private final java.util.Set<OnePrimitive.Handles> live = ConcurrentHashMap.newKeySet();

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
        if (p != null && !p.isDestroyed()) return p;
        rt.checkOpen();
        if (reserved.get() < capacity) {
            p = map.computeIfAbsent(key, k -> {
                if (reserved.incrementAndGet() > capacity) { // lost a race for the last places: transient below
                    reserved.decrementAndGet();
                    return null;
                }
                try {
                    OnePrimitive q = create(k, factory, false);
                    created.incrementAndGet();
                    return q;
                } catch (RuntimeException | Error e) {
                    reserved.decrementAndGet();
                    throw e;
                }
            });
            if (p != null) return p;
        }
        p = create(key, factory, true);
        transientCreated.incrementAndGet();
        return p;
    }

    /** Creates a primitive unless the runtime is closing (creation and {@link #close()} exclude each other). */
    private OnePrimitive create(Object key, OnePrimitive.Factory factory, boolean transientPrimitive) {
        var lock = rt.lifecycle.readLock();
        lock.lock();
        try {
            rt.checkOpen();
            OnePrimitive p = OnePrimitive.create(rt, this, key, factory, transientPrimitive);
            live.add(p.handles);
            return p;
        } finally {
            lock.unlock();
        }
    }

    /** Called once by a primitive's handles as they are destroyed. */
    void forget(OnePrimitive.Handles h) {
        live.remove(h);
    }

    /**
     * Destroys every primitive of this cache not destroyed yet, cached and transient, each exactly once, and empties
     * the cache (the runtime's close; no thread may be running them).
     */
    void close() {
        map.clear();
        for (OnePrimitive.Handles h : java.util.List.copyOf(live)) h.run();
        live.clear();
    }

    /** Primitives of this cache alive now (cached, plus transient ones not run or freed yet). */
    public int alive() {
        return live.size();
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

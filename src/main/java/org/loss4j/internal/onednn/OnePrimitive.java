package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import org.loss4j.internal.nativelib.NativeLeaks;

/**
 * A oneDNN primitive with its descriptor, the memory descriptor and byte size of each execution argument, and its
 * scratchpad size (created in user-scratchpad mode, so execution allocates nothing inside oneDNN).
 */
public final class OnePrimitive {

    /** The {@link NativeLeaks} kind of a primitive (with its descriptor). */
    static final String KIND = "onednn primitive";

    /** Creates a primitive descriptor on {@code engine} with {@code attr}; temporaries go in {@code arena}. */
    @FunctionalInterface
    public interface Factory {
        /** @return the {@code dnnl_primitive_desc_t}; use {@link OneDnn#check} on every status */
        MemorySegment create(MemorySegment engine, MemorySegment attr, Arena arena);
    }

    final Object key;
    final MemorySegment pd;
    final MemorySegment primitive;
    final int[] argIds;
    final boolean[] argWritten; // a destination: a read-only buffer is refused
    final MemorySegment[] argMds; // owned by pd
    final long[] argBytes;
    final MemorySegment scratchpadMd; // owned by pd
    final long scratchpadBytes;
    final boolean transientPrimitive;
    final String impl;
    private final Cleaner.Cleanable cleanable; // transient primitives only: destroys pd and primitive exactly once
    final Handles handles;

    private OnePrimitive(Object key, Handles handles, int[] argIds, MemorySegment[] argMds, long[] argBytes,
                         MemorySegment scratchpadMd, long scratchpadBytes, boolean transientPrimitive, String impl) {
        this.key = key;
        this.pd = handles.pd;
        this.primitive = handles.primitive;
        this.argIds = argIds;
        this.argWritten = new boolean[argIds.length];
        for (int i = 0; i < argIds.length; i++) argWritten[i] = isOutput(argIds[i]);
        this.argMds = argMds;
        this.argBytes = argBytes;
        this.scratchpadMd = scratchpadMd;
        this.scratchpadBytes = scratchpadBytes;
        this.transientPrimitive = transientPrimitive;
        this.impl = impl;
        this.handles = handles;
        // A transient primitive that is never run (its caller failed first) is still freed, by the Cleaner.
        this.cleanable = transientPrimitive ? OneDnnRuntime.CLEANER.register(this, handles) : null;
    }

    /** The native handles, destroyed once (no reference back to the primitive, so the Cleaner can run). */
    static final class Handles implements Runnable {
        final PrimitiveCache owner;
        final MemorySegment pd;
        final MemorySegment primitive;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        volatile boolean destroyed;

        Handles(PrimitiveCache owner, MemorySegment pd, MemorySegment primitive) {
            this.owner = owner;
            this.pd = pd;
            this.primitive = primitive;
        }

        @Override
        public void run() { // Cleaner.Cleanable runs this at most once; the runtime's close may run it too: once in all
            if (!done.compareAndSet(false, true)) return;
            destroyed = true;
            if (owner != null) owner.forget(this);
            int s1 = dnnl_primitive_destroy(primitive);
            int s2 = dnnl_primitive_desc_destroy(pd);
            OneDnnRuntime.PRIMITIVES_DESTROYED.incrementAndGet();
            NativeLeaks.freed(KIND, primitive.address());
            if (owner != null) owner.destroyed.incrementAndGet();
            OneDnn.check("dnnl_primitive_destroy", s1);
            OneDnn.check("dnnl_primitive_desc_destroy", s2);
        }
    }

    /** Whether oneDNN writes the argument {@code id} (destinations, gradients, workspace). */
    static boolean isOutput(int id) {
        return (id >= DNNL_ARG_DST() && id < DNNL_ARG_WEIGHTS()) // DST_0..DST_15 (incl. RNN dst layer/iter)
                || id == DNNL_ARG_WORKSPACE()
                || (id >= DNNL_ARG_DIFF_SRC() && id < DNNL_ARG_DIFF_DST()) // DIFF_SRC_0..15
                || (id >= DNNL_ARG_DIFF_DST() + 16 && id < DNNL_ARG_DIFF_DST() + 32); // DIFF_WEIGHTS_*, DIFF_BIAS
    }

    /** The key's {@code argIds}: the {@code DNNL_ARG_*} ids, in the order {@link ExecutionContext#run} takes buffers. */
    static OnePrimitive create(OneDnnRuntime rt, PrimitiveCache owner, Object key, Factory factory, boolean transientPrimitive) {
        if (!(key instanceof Key k)) throw new IllegalArgumentException("oneDNN primitive keys must be OnePrimitive.Key");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
            OneDnn.check("dnnl_primitive_attr_create", dnnl_primitive_attr_create(ptr));
            MemorySegment attr = ptr.get(ValueLayout.ADDRESS, 0);
            MemorySegment pd;
            try {
                OneDnn.check("dnnl_primitive_attr_set_scratchpad_mode",
                        dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user()));
                pd = factory.create(rt.engine, attr, arena);
            } finally {
                dnnl_primitive_attr_destroy(attr); // (only fails for a null attr; must not hide the factory's exception)
            }
            if (pd == null || pd.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("oneDNN primitive factory for " + k + " returned no primitive descriptor");
            }
            try {
                int[] ids = k.argIds();
                MemorySegment[] mds = new MemorySegment[ids.length];
                long[] bytes = new long[ids.length];
                MemorySegment ndims = arena.allocate(ValueLayout.JAVA_INT);
                for (int i = 0; i < ids.length; i++) {
                    OneDnn.check("dnnl_primitive_desc_query(exec_arg_md)",
                            dnnl_primitive_desc_query(pd, dnnl_query_exec_arg_md(), ids[i], ptr), k.toString());
                    mds[i] = ptr.get(ValueLayout.ADDRESS, 0);
                    bytes[i] = dnnl_memory_desc_get_size(mds[i]);
                    OneDnn.check("dnnl_memory_desc_query(ndims)", dnnl_memory_desc_query(mds[i], dnnl_query_ndims_s32(), ndims));
                    if (ndims.get(ValueLayout.JAVA_INT, 0) == 0) { // oneDNN answers a zero md for an argument it lacks
                        throw new IllegalArgumentException("oneDNN " + k + " has no argument " + ids[i] + " (DNNL_ARG_*)");
                    }
                }
                OneDnn.check("dnnl_primitive_desc_query(scratchpad_md)",
                        dnnl_primitive_desc_query(pd, dnnl_query_scratchpad_md(), 0, ptr), k.toString());
                MemorySegment scratchMd = ptr.get(ValueLayout.ADDRESS, 0);
                long scratchBytes = scratchMd.equals(MemorySegment.NULL) ? 0 : dnnl_memory_desc_get_size(scratchMd);
                String impl = "";
                if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str(), 0, ptr) == dnnl_success()) {
                    impl = ptr.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
                }
                OneDnn.check("dnnl_primitive_create", dnnl_primitive_create(ptr, pd), k.toString());
                Handles handles = new Handles(owner, pd, ptr.get(ValueLayout.ADDRESS, 0));
                OneDnnRuntime.PRIMITIVES_CREATED.incrementAndGet();
                NativeLeaks.allocated(KIND, handles.primitive.address());
                return new OnePrimitive(key, handles, ids, mds, bytes, scratchMd, scratchBytes, transientPrimitive, impl);
            } catch (RuntimeException | Error e) {
                dnnl_primitive_desc_destroy(pd);
                throw e;
            }
        }
    }

    /** Frees a transient primitive and its descriptor after its call; a second call does nothing. */
    void destroy() {
        if (!transientPrimitive) throw new IllegalStateException("cached oneDNN primitive " + key + " must not be destroyed");
        cleanable.clean();
    }

    /** The Cleaner's handle of a transient primitive (null for cached ones). */
    Cleaner.Cleanable cleanable() {
        return cleanable;
    }

    /**
     * Whether this primitive has been destroyed (a transient one after its call, any after the runtime closed):
     * running it again is refused, never a use-after-free.
     */
    boolean isDestroyed() {
        return handles.destroyed;
    }

    /** Whether this primitive is destroyed after its one call (the cache was full). */
    public boolean isTransient() {
        return transientPrimitive;
    }

    /** oneDNN's implementation name, e.g. {@code jit:avx512_core}. */
    public String impl() {
        return impl;
    }

    /**
     * A cache key: the op and everything that shapes the primitive (dims, dtype, algorithm, attributes), plus the
     * execution arguments in the order buffers are passed.
     *
     * @param op     e.g. {@code "softmax_fwd"}
     * @param params dims, data types, algorithm ids and scalars, as a list of boxed values compared by equals
     * @param argIds {@code DNNL_ARG_*} ids
     */
    public record Key(String op, java.util.List<Object> params, int... argIds) {
        public Key {
            java.util.Objects.requireNonNull(op, "op");
            params = java.util.List.copyOf(params); // a cached key must not change (List.of lists are not copied)
            argIds = argIds.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && op.equals(k.op) && params.equals(k.params) && java.util.Arrays.equals(argIds, k.argIds);
        }

        @Override
        public int hashCode() {
            return (op.hashCode() * 31 + params.hashCode()) * 31 + java.util.Arrays.hashCode(argIds);
        }

        @Override
        public String toString() {
            return op + params;
        }
    }
}

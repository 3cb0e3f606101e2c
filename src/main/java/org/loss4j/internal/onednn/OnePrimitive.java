package org.loss4j.internal.onednn;

import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A oneDNN primitive with its descriptor, the memory descriptor and byte size of each execution argument, and its
 * scratchpad size (created in user-scratchpad mode, so execution allocates nothing inside oneDNN).
 */
public final class OnePrimitive {

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
    final MemorySegment[] argMds; // owned by pd
    final long[] argBytes;
    final MemorySegment scratchpadMd; // owned by pd
    final long scratchpadBytes;
    final boolean transientPrimitive;
    final String impl;

    private OnePrimitive(Object key, MemorySegment pd, MemorySegment primitive, int[] argIds, MemorySegment[] argMds,
                         long[] argBytes, MemorySegment scratchpadMd, long scratchpadBytes, boolean transientPrimitive,
                         String impl) {
        this.key = key;
        this.pd = pd;
        this.primitive = primitive;
        this.argIds = argIds;
        this.argMds = argMds;
        this.argBytes = argBytes;
        this.scratchpadMd = scratchpadMd;
        this.scratchpadBytes = scratchpadBytes;
        this.transientPrimitive = transientPrimitive;
        this.impl = impl;
    }

    /** The key's {@code argIds}: the {@code DNNL_ARG_*} ids, in the order {@link ExecutionContext#run} takes buffers. */
    static OnePrimitive create(OneDnnRuntime rt, Object key, Factory factory, boolean transientPrimitive) {
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
                OneDnn.check("dnnl_primitive_attr_destroy", dnnl_primitive_attr_destroy(attr));
            }
            try {
                int[] ids = k.argIds();
                MemorySegment[] mds = new MemorySegment[ids.length];
                long[] bytes = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    OneDnn.check("dnnl_primitive_desc_query(exec_arg_md)",
                            dnnl_primitive_desc_query(pd, dnnl_query_exec_arg_md(), ids[i], ptr), k.toString());
                    mds[i] = ptr.get(ValueLayout.ADDRESS, 0);
                    bytes[i] = dnnl_memory_desc_get_size(mds[i]);
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
                return new OnePrimitive(key, pd, ptr.get(ValueLayout.ADDRESS, 0), ids, mds, bytes, scratchMd, scratchBytes,
                        transientPrimitive, impl);
            } catch (RuntimeException e) {
                dnnl_primitive_desc_destroy(pd);
                throw e;
            }
        }
    }

    /** Frees the primitive and its descriptor (exactly once: only for transient primitives, after their call). */
    void destroy() {
        OneDnn.check("dnnl_primitive_destroy", dnnl_primitive_destroy(primitive));
        OneDnn.check("dnnl_primitive_desc_destroy", dnnl_primitive_desc_destroy(pd));
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

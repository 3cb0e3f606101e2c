package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.loss4j.internal.onednn.dnnl.dnnl_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.nativelib.NativeLibraries;
import org.loss4j.internal.onednn.OneDnn;
import org.loss4j.internal.onednn.OneDnnException;
import org.loss4j.internal.onednn.dnnl.dnnl_exec_arg_t;
import org.loss4j.internal.onednn.dnnl.dnnl_version_t;
import org.loss4j.internal.vectors.Tolerance;

/** Smoke test of the jextract bindings: the natives load, the version matches the headers, one primitive runs. */
class OneDnnBindingsTest {

    @BeforeAll
    static void loadNatives() {
        NativeLibraries.Loaded loaded = OneDnn.load();
        assertEquals("libdnnl.so.3", loaded.files().getLast().getFileName().toString(), loaded.toString());
        if (loaded.source().startsWith("class path")) {
            assertEquals(3, loaded.files().size(), "gomp, OpenCL and dnnl from the jars: " + loaded);
        }
    }

    @Test
    void versionMatchesTheHeaders() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = dnnl_version_t.reinterpret(dnnl_version(), arena, null);
            assertEquals(DNNL_VERSION_MAJOR(), dnnl_version_t.major(v));
            assertEquals(DNNL_VERSION_MINOR(), dnnl_version_t.minor(v));
            assertEquals(DNNL_VERSION_PATCH(), dnnl_version_t.patch(v));
            assertEquals("3.8.1", dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v));
            assertEquals(DNNL_RUNTIME_OMP(), dnnl_version_t.cpu_runtime(v));
            assertTrue(dnnl_get_effective_cpu_isa() != dnnl_cpu_isa_default(), "a concrete ISA is reported");
            assertTrue(dnnl_engine_get_count(dnnl_cpu()) >= 1);
        }
    }

    @Test
    void logSoftmaxForwardMatchesTheJavaBackend() {
        long outer = 3, n = 7, inner = 5; // softmax over the middle axis of (3, 7, 5), row-major
        Random random = new Random(42);
        float[] data = new float[(int) (outer * n * inner)];
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * 5);
        data[0] = 100f; // extremes: the max shift must keep these finite
        data[(int) inner] = -100f;
        Tensor x = Tensor.of(data, outer, n, inner);
        Tensor expected = Tensor.zeros(DType.F32, outer, n, inner);
        JavaBackend.INSTANCE.softmax().logSoftmax(x, outer, n, inner, expected);

        try (Arena arena = Arena.ofConfined()) {
            Tensor out = Tensor.zeros(arena, DType.F32, outer, n, inner);
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);

            OneDnn.check("dnnl_engine_create", dnnl_engine_create(ptr, dnnl_cpu(), 0));
            MemorySegment engine = ptr.get(ValueLayout.ADDRESS, 0);
            OneDnn.check("dnnl_stream_create", dnnl_stream_create(ptr, engine, dnnl_stream_default_flags()));
            MemorySegment stream = ptr.get(ValueLayout.ADDRESS, 0);

            MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, outer, n, inner);
            OneDnn.check("dnnl_memory_desc_create_with_tag",
                    dnnl_memory_desc_create_with_tag(ptr, 3, dims, dnnl_f32(), dnnl_abc()));
            MemorySegment md = ptr.get(ValueLayout.ADDRESS, 0);
            assertEquals(x.byteSize(), dnnl_memory_desc_get_size(md));

            OneDnn.check("dnnl_softmax_forward_primitive_desc_create", dnnl_softmax_forward_primitive_desc_create(
                    ptr, engine, dnnl_forward_inference(), dnnl_softmax_log(), md, md, 1, MemorySegment.NULL));
            MemorySegment pd = ptr.get(ValueLayout.ADDRESS, 0);
            OneDnn.check("dnnl_primitive_create", dnnl_primitive_create(ptr, pd));
            MemorySegment primitive = ptr.get(ValueLayout.ADDRESS, 0);

            // oneDNN reads and writes the tensors' own memory: no copies.
            OneDnn.check("dnnl_memory_create", dnnl_memory_create(ptr, md, engine, x.segment()));
            MemorySegment src = ptr.get(ValueLayout.ADDRESS, 0);
            OneDnn.check("dnnl_memory_create", dnnl_memory_create(ptr, md, engine, out.segment()));
            MemorySegment dst = ptr.get(ValueLayout.ADDRESS, 0);
            OneDnn.check("dnnl_memory_get_data_handle", dnnl_memory_get_data_handle(dst, ptr));
            assertEquals(out.segment().address(), ptr.get(ValueLayout.ADDRESS, 0).address());

            MemorySegment args = dnnl_exec_arg_t.allocateArray(2, arena);
            dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 0), DNNL_ARG_SRC());
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 0), src);
            dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 1), DNNL_ARG_DST());
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 1), dst);
            OneDnn.check("dnnl_primitive_execute", dnnl_primitive_execute(primitive, stream, 2, args));
            OneDnn.check("dnnl_stream_wait", dnnl_stream_wait(stream));

            OneDnn.check("dnnl_memory_destroy", dnnl_memory_destroy(src));
            OneDnn.check("dnnl_memory_destroy", dnnl_memory_destroy(dst));
            OneDnn.check("dnnl_primitive_destroy", dnnl_primitive_destroy(primitive));
            OneDnn.check("dnnl_primitive_desc_destroy", dnnl_primitive_desc_destroy(pd));
            OneDnn.check("dnnl_memory_desc_destroy", dnnl_memory_desc_destroy(md));
            OneDnn.check("dnnl_stream_destroy", dnnl_stream_destroy(stream));
            OneDnn.check("dnnl_engine_destroy", dnnl_engine_destroy(engine));

            // Looser than the f32 vector tolerance on purpose: oneDNN's JIT log-softmax (e.g. jit:avx512_core_bf16)
            // approximates exp/log, so log(sum exp) is off by up to ~4e-6 absolute (measured against the double-
            // accumulating Java reference). The bindings are what is tested here, not that accuracy.
            Tolerance tol = new Tolerance(1e-5, 1e-5, "oneDNN JIT exp/log approximations");
            for (long i = 0; i < x.numel(); i++) {
                double a = out.getDouble(i), e = expected.getDouble(i);
                assertTrue(tol.accepts(a, e), "element " + i + ": oneDNN " + a + ", Java " + e);
            }
        }
    }

    @Test
    void aFailedCallNamesTheFunctionAndTheStatus() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ptr = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, 2, 3, 4);
            // a 2-D tag for a 3-D shape
            int status = dnnl_memory_desc_create_with_tag(ptr, 3, dims, dnnl_f32(), dnnl_ab());
            OneDnnException e = assertThrows(OneDnnException.class,
                    () -> OneDnn.check("dnnl_memory_desc_create_with_tag", status));
            assertEquals(dnnl_invalid_arguments(), e.status());
            assertTrue(e.getMessage().contains("dnnl_memory_desc_create_with_tag"), e.getMessage());
            assertTrue(e.getMessage().contains("dnnl_invalid_arguments"), e.getMessage());
        }
    }
}

package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.loss4j.internal.cuda.Cuda;
import org.loss4j.internal.cuda.CudaBackend;
import org.loss4j.internal.cuda.CudaException;
import org.loss4j.internal.cuda.CudaRuntime;
import org.loss4j.internal.cuda.cublas.cublas_h;
import org.loss4j.internal.cuda.cudart.cudart_h;
import org.loss4j.internal.cuda.cudnn.cudnn_h;
import org.loss4j.internal.java.JavaBackend;
import org.loss4j.internal.nativelib.CudaLibraries;
import org.loss4j.internal.nativelib.CudaLibraries.Component;
import org.loss4j.internal.vectors.Tolerance;

/**
 * The CUDA bindings and the backend's handle. Runs without a GPU: the libraries load, every bound symbol resolves, the
 * version calls work, host-side cuDNN descriptors work, and the backend reports why it cannot run (no driver:
 * {@code cudaGetDeviceCount} = 35). Where a library is missing (e.g. CI without NVIDIA's pip wheels) the tests that
 * need it are skipped, and the tests that need a GPU are skipped here; each skip prints its reason.
 */
class CudaBindingsTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    // ---- skipping with a reason ----------------------------------------------------------------------------------

    private static void skip(String reason) {
        System.out.println("[CudaBindingsTest] skipped: " + reason);
        Assumptions.abort(reason);
    }

    private static CudaLibraries.Loaded assumeLoaded(Component c) {
        CudaLibraries.Result r = Cuda.load();
        CudaLibraries.Loaded l = r.loaded().get(c);
        if (l == null) skip(c + " could not be loaded here:\n" + r.failures().get(c));
        return l;
    }

    private static void assumeAllLoaded() {
        for (Component c : Component.values()) assumeLoaded(c);
    }

    private static void assumeGpu() {
        assumeAllLoaded();
        CudaRuntime rt = CudaRuntime.get();
        if (rt.deviceCount() <= 0) skip("needs a GPU: " + rt.unavailableReason());
    }

    private static Class<?> headerClass(Component c) {
        return switch (c) {
            case CUDART -> cudart_h.class;
            case CUBLAS -> cublas_h.class;
            case CUDNN -> cudnn_h.class;
        };
    }

    private static String symbolList(Component c) {
        return switch (c) {
            case CUDART -> "cudart.symbols";
            case CUBLAS -> "cublas.symbols";
            case CUDNN -> "cudnn.symbols";
        };
    }

    /** The functions a symbol list asks jextract for. */
    private static TreeSet<String> listedFunctions(Component c) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("bindings", "cuda", symbolList(c)))) {
            String l = line.strip();
            if (l.startsWith("--include-function ")) names.add(l.substring("--include-function ".length()).strip());
        }
        return names;
    }

    /** The functions the generated header class binds (each has a {@code name$address()} method). */
    private static TreeSet<String> boundFunctions(Class<?> header) {
        TreeSet<String> names = new TreeSet<>();
        for (Method m : header.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers())
                    && m.getParameterCount() == 0 && m.getName().endsWith("$address")) {
                names.add(m.getName().substring(0, m.getName().length() - "$address".length()));
            }
        }
        return names;
    }

    // ---- every bound symbol resolves ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Component.class)
    void everyBoundFunctionResolvesInTheLoadedLibrary(Component c) throws Exception {
        CudaLibraries.Loaded loaded = assumeLoaded(c);
        Class<?> header = headerClass(c);
        TreeSet<String> listed = listedFunctions(c);
        TreeSet<String> bound = boundFunctions(header);
        assertFalse(listed.isEmpty(), symbolList(c));
        assertEquals(listed, bound, "bindings/cuda/" + symbolList(c) + " and the generated " + header.getSimpleName()
                + " disagree: rerun bindings/cuda/generate.sh");

        List<String> failures = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            // The library the bindings must call: libcudart.so.13, libcublas.so.13, or cuDNN's libcudnn.so.9 shim
            // (not a sub-library's copy of the same entry point).
            SymbolLookup library = SymbolLookup.libraryLookup(loaded.main(), arena);
            for (String name : bound) {
                MemorySegment expected = library.find(name).orElse(null);
                if (expected == null) {
                    failures.add(name + ": not exported by " + loaded.main());
                    continue;
                }
                try {
                    MemorySegment actual = (MemorySegment) header.getMethod(name + "$address").invoke(null);
                    if (actual.address() != expected.address()) {
                        failures.add(name + ": the bindings resolve it to 0x" + Long.toHexString(actual.address())
                                + ", " + loaded.main().getFileName() + " has it at 0x"
                                + Long.toHexString(expected.address()));
                    }
                } catch (InvocationTargetException e) {
                    failures.add(name + ": " + e.getCause());
                }
            }
        }
        System.out.println("[CudaBindingsTest] " + c + ": " + bound.size() + " functions resolve in " + loaded.main());
        if (!failures.isEmpty()) fail(failures.size() + " of " + bound.size() + " symbols:\n" + String.join("\n", failures));
    }

    // ---- versions -------------------------------------------------------------------------------------------------

    @Test
    void runtimeAndDriverVersions() {
        assumeLoaded(Component.CUDART);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            Cuda.checkRuntime("cudaRuntimeGetVersion", cudart_h.cudaRuntimeGetVersion(v));
            int runtime = v.get(INT, 0);
            assertEquals(cudart_h.CUDART_VERSION() / 1000, runtime / 1000, "CUDA major version of libcudart vs the headers");
            Cuda.checkRuntime("cudaDriverGetVersion", cudart_h.cudaDriverGetVersion(v));
            int driver = v.get(INT, 0); // 0 without a driver
            assertTrue(driver == 0 || driver >= 1000, "driver version " + driver);
            System.out.println("[CudaBindingsTest] CUDA runtime " + runtime + ", driver " + driver);
        }
    }

    @Test
    void cublasVersion() {
        assumeLoaded(Component.CUBLAS);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            // cublasGetVersion_v2 ignores its handle, so it works without a GPU.
            Cuda.checkCublas("cublasGetVersion_v2", cublas_h.cublasGetVersion_v2(MemorySegment.NULL, v));
            int version = v.get(INT, 0);
            Cuda.checkCublas("cublasGetProperty", cublas_h.cublasGetProperty(cublas_h.MAJOR_VERSION(), v));
            int major = v.get(INT, 0);
            assertEquals(cublas_h.CUBLAS_VER_MAJOR(), major, "cuBLAS major version vs the headers");
            assertEquals(major, version / 10000, "cublasGetVersion_v2 " + version);
            System.out.println("[CudaBindingsTest] cuBLAS " + version + " (headers " + cublas_h.CUBLAS_VERSION() + ")");
        }
    }

    @Test
    void cudnnVersion() {
        assumeLoaded(Component.CUDNN);
        long version = cudnn_h.cudnnGetVersion();
        assertEquals(cudnn_h.CUDNN_MAJOR(), version / 10000, "cuDNN major version vs the headers: " + version);
        long cudart = cudnn_h.cudnnGetCudartVersion();
        assertEquals(13, cudart / 1000, "cuDNN built for CUDA " + cudart);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            Cuda.checkCudnn("cudnnGetProperty", cudnn_h.cudnnGetProperty(cudnn_h.MINOR_VERSION(), v));
            assertEquals((version % 10000) / 100, v.get(INT, 0), "cudnnGetProperty(MINOR_VERSION)");
        }
        System.out.println("[CudaBindingsTest] cuDNN " + version + " (headers " + cudnn_h.CUDNN_VERSION()
                + "), built for CUDA " + cudart);
    }

    // ---- host-side cuDNN descriptors (no GPU needed) ----------------------------------------------------------------

    @Test
    void tensorReduceAndCtcDescriptorsWithoutAGpu() {
        assumeLoaded(Component.CUDNN);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.checkCudnn("cudnnCreateTensorDescriptor", cudnn_h.cudnnCreateTensorDescriptor(p));
            MemorySegment tensor = p.get(ValueLayout.ADDRESS, 0);
            MemorySegment dims = arena.allocateFrom(INT, 3, 7, 5);
            MemorySegment strides = arena.allocateFrom(INT, 35, 5, 1);
            Cuda.checkCudnn("cudnnSetTensorNdDescriptor",
                    cudnn_h.cudnnSetTensorNdDescriptor(tensor, cudnn_h.CUDNN_DATA_FLOAT(), 3, dims, strides));
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            Cuda.checkCudnn("cudnnGetTensorSizeInBytes", cudnn_h.cudnnGetTensorSizeInBytes(tensor, size));
            assertEquals(3 * 7 * 5 * Float.BYTES, size.get(ValueLayout.JAVA_LONG, 0));

            // A bad call becomes an exception naming the function and the status.
            MemorySegment zero = arena.allocateFrom(INT, 3, 0, 5);
            CudaException bad = assertThrows(CudaException.class, () -> Cuda.checkCudnn("cudnnSetTensorNdDescriptor",
                    cudnn_h.cudnnSetTensorNdDescriptor(tensor, cudnn_h.CUDNN_DATA_FLOAT(), 3, zero, strides)));
            assertEquals(cudnn_h.CUDNN_STATUS_BAD_PARAM(), bad.status(), bad.getMessage());
            assertTrue(bad.getMessage().startsWith("cudnnSetTensorNdDescriptor failed: CUDNN_STATUS_BAD_PARAM"),
                    bad.getMessage());
            Cuda.checkCudnn("cudnnDestroyTensorDescriptor", cudnn_h.cudnnDestroyTensorDescriptor(tensor));

            Cuda.checkCudnn("cudnnCreateReduceTensorDescriptor", cudnn_h.cudnnCreateReduceTensorDescriptor(p));
            MemorySegment reduce = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkCudnn("cudnnSetReduceTensorDescriptor", cudnn_h.cudnnSetReduceTensorDescriptor(reduce,
                    cudnn_h.CUDNN_REDUCE_TENSOR_ADD(), cudnn_h.CUDNN_DATA_FLOAT(), cudnn_h.CUDNN_NOT_PROPAGATE_NAN(),
                    cudnn_h.CUDNN_REDUCE_TENSOR_NO_INDICES(), cudnn_h.CUDNN_32BIT_INDICES()));
            Cuda.checkCudnn("cudnnDestroyReduceTensorDescriptor", cudnn_h.cudnnDestroyReduceTensorDescriptor(reduce));

            Cuda.checkCudnn("cudnnCreateCTCLossDescriptor", cudnn_h.cudnnCreateCTCLossDescriptor(p));
            MemorySegment ctc = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkCudnn("cudnnSetCTCLossDescriptor_v9", cudnn_h.cudnnSetCTCLossDescriptor_v9(ctc,
                    cudnn_h.CUDNN_DATA_FLOAT(), cudnn_h.CUDNN_LOSS_NORMALIZATION_SOFTMAX(),
                    cudnn_h.CUDNN_CTC_ZERO_OOB_GRADIENTS(), 255));
            MemorySegment type = arena.allocate(INT), norm = arena.allocate(INT), grad = arena.allocate(INT),
                    maxLabel = arena.allocate(INT);
            Cuda.checkCudnn("cudnnGetCTCLossDescriptor_v9",
                    cudnn_h.cudnnGetCTCLossDescriptor_v9(ctc, type, norm, grad, maxLabel));
            assertEquals(cudnn_h.CUDNN_DATA_FLOAT(), type.get(INT, 0));
            assertEquals(cudnn_h.CUDNN_LOSS_NORMALIZATION_SOFTMAX(), norm.get(INT, 0));
            assertEquals(cudnn_h.CUDNN_CTC_ZERO_OOB_GRADIENTS(), grad.get(INT, 0));
            assertEquals(255, maxLabel.get(INT, 0));
            Cuda.checkCudnn("cudnnDestroyCTCLossDescriptor", cudnn_h.cudnnDestroyCTCLossDescriptor(ctc));
        }
    }

    // ---- errors and the unavailable backend ---------------------------------------------------------------------

    @Test
    void statusesBecomeExceptionsNamingTheCallAndTheStatus() {
        assumeAllLoaded();
        CudaException runtime = assertThrows(CudaException.class,
                () -> Cuda.checkRuntime("cudaGetDeviceCount", cudart_h.cudaErrorInsufficientDriver()));
        assertEquals("cudaGetDeviceCount failed: cudaErrorInsufficientDriver (CUDA runtime status 35): CUDA driver"
                + " version is insufficient for CUDA runtime version", runtime.getMessage());
        CudaException blas = assertThrows(CudaException.class,
                () -> Cuda.checkCublas("cublasSgemm_v2", cublas_h.CUBLAS_STATUS_INVALID_VALUE()));
        assertTrue(blas.getMessage().startsWith("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (cuBLAS status 7)"),
                blas.getMessage());
        CudaException dnn = assertThrows(CudaException.class,
                () -> Cuda.checkCudnn("cudnnSoftmaxForward", cudnn_h.CUDNN_STATUS_NOT_SUPPORTED()));
        assertTrue(dnn.getMessage().startsWith("cudnnSoftmaxForward failed: CUDNN_STATUS_NOT_SUPPORTED (cuDNN status 3000)"),
                dnn.getMessage());
        Cuda.checkRuntime("cudaGetLastError", cudart_h.cudaSuccess()); // success is silent
    }

    @Test
    void withoutADriverHandlesCannotBeCreated() {
        assumeAllLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(INT);
            int status = cudart_h.cudaGetDeviceCount(count);
            if (status == cudart_h.cudaSuccess() && count.get(INT, 0) > 0) {
                skip("this machine has a GPU, so handles can be created");
            }
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            int dnn = cudnn_h.cudnnCreate(p);
            assertEquals(cudnn_h.CUDNN_STATUS_NOT_INITIALIZED(), dnn, "cudnnCreate without a driver");
            CudaException e = assertThrows(CudaException.class, () -> Cuda.checkCudnn("cudnnCreate", dnn));
            assertTrue(e.getMessage().startsWith("cudnnCreate failed: CUDNN_STATUS_NOT_INITIALIZED (cuDNN status 1001)"),
                    e.getMessage());
            assertEquals(cublas_h.CUBLAS_STATUS_NOT_INITIALIZED(), cublas_h.cublasCreate_v2(p), "cublasCreate_v2 without a driver");
        }
    }

    @Test
    void theBackendSaysWhyItIsUnavailable() {
        Backend cuda = Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        assertTrue(cuda instanceof CudaBackend, cuda.getClass().getName());
        assertEquals(Device.cuda(0), cuda.device());
        System.out.println("[CudaBindingsTest] cuda backend: " + cuda.description());
        if (cuda.isAvailable()) return; // a later version with kernels, on a GPU machine
        String reason = cuda.unavailableReason();
        System.out.println("[CudaBindingsTest] cuda unavailable: " + reason);
        assertFalse(reason.isBlank());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.get("cuda"));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(Backends.available().contains(cuda));
        assertTrue(Backends.defaultBackend().device().isCpu(), "CPU selection is unaffected");

        CudaLibraries.Result libs = Cuda.load();
        if (!libs.complete()) {
            // e.g. CI without NVIDIA's wheels: the reason names what is missing and how to get it.
            for (Component c : libs.failures().keySet()) {
                assertTrue(reason.contains(c.fileName()), reason);
                assertTrue(reason.contains(c == Component.CUDART ? "CUDA 13 toolkit" : "pip install"), reason);
            }
            assertTrue(reason.contains("loss4j.cuda.path"), reason);
        } else if (CudaRuntime.get().deviceCount() < 0) {
            assertTrue(reason.startsWith("no usable GPU: cudaGetDeviceCount returned "), reason);
            if (CudaRuntime.get().driverVersion().equals("none")) {
                assertEquals("no usable GPU: cudaGetDeviceCount returned 35 (cudaErrorInsufficientDriver: CUDA driver"
                        + " version is insufficient for CUDA runtime version)", reason);
            }
            String description = cuda.description();
            assertTrue(description.contains("cuDNN " + CudaRuntime.get().cudnnVersion()), description);
            assertTrue(description.contains("cuBLAS " + CudaRuntime.get().cublasVersion()), description);
        }
    }

    // ---- with a GPU ---------------------------------------------------------------------------------------------

    /** cuDNN's log-softmax and cuBLAS's dot on the GPU against the Java backend (runs only where a GPU is). */
    @Test
    void logSoftmaxAndDotOnTheGpu() {
        assumeGpu();
        int outer = 3, n = 7, inner = 5; // log-softmax over the middle axis of (3, 7, 5), as cuDNN's channel mode
        Random random = new Random(42);
        float[] data = new float[outer * n * inner];
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * 5);
        data[0] = 100f;
        data[inner] = -100f;
        Tensor x = Tensor.of(data, outer, n, inner);
        Tensor expected = Tensor.zeros(DType.F32, outer, n, inner);
        JavaBackend.INSTANCE.softmax().logSoftmax(x, outer, n, inner, expected);
        long bytes = x.byteSize();

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.checkRuntime("cudaSetDevice", cudart_h.cudaSetDevice(0));
            Cuda.checkRuntime("cudaStreamCreate", cudart_h.cudaStreamCreate(p));
            MemorySegment stream = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkRuntime("cudaMalloc", cudart_h.cudaMalloc(p, bytes));
            MemorySegment dx = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkRuntime("cudaMalloc", cudart_h.cudaMalloc(p, bytes));
            MemorySegment dy = p.get(ValueLayout.ADDRESS, 0);
            MemorySegment host = arena.allocate(bytes, 16);
            host.copyFrom(x.segment());
            Cuda.checkRuntime("cudaMemcpyAsync", cudart_h.cudaMemcpyAsync(dx, host, bytes,
                    cudart_h.cudaMemcpyHostToDevice(), stream));

            Cuda.checkCudnn("cudnnCreate", cudnn_h.cudnnCreate(p));
            MemorySegment dnn = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkCudnn("cudnnSetStream", cudnn_h.cudnnSetStream(dnn, stream));
            Cuda.checkCudnn("cudnnCreateTensorDescriptor", cudnn_h.cudnnCreateTensorDescriptor(p));
            MemorySegment desc = p.get(ValueLayout.ADDRESS, 0);
            // N = outer, C = n, H = inner, W = 1: CHANNEL mode normalises over C at each (n, h, w).
            MemorySegment dims = arena.allocateFrom(INT, outer, n, inner, 1);
            MemorySegment strides = arena.allocateFrom(INT, n * inner, inner, 1, 1);
            Cuda.checkCudnn("cudnnSetTensorNdDescriptor",
                    cudnn_h.cudnnSetTensorNdDescriptor(desc, cudnn_h.CUDNN_DATA_FLOAT(), 4, dims, strides));
            MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            MemorySegment zero = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
            Cuda.checkCudnn("cudnnSoftmaxForward", cudnn_h.cudnnSoftmaxForward(dnn, cudnn_h.CUDNN_SOFTMAX_LOG(),
                    cudnn_h.CUDNN_SOFTMAX_MODE_CHANNEL(), one, desc, dx, zero, desc, dy));
            Cuda.checkRuntime("cudaMemcpyAsync", cudart_h.cudaMemcpyAsync(host, dy, bytes,
                    cudart_h.cudaMemcpyDeviceToHost(), stream));
            Cuda.checkRuntime("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream));
            Tolerance tol = Tolerance.F32;
            for (int i = 0; i < data.length; i++) {
                double a = host.getAtIndex(ValueLayout.JAVA_FLOAT, i), e = expected.getDouble(i);
                assertTrue(tol.accepts(a, e), "element " + i + ": cuDNN " + a + ", Java " + e);
            }

            Cuda.checkCublas("cublasCreate_v2", cublas_h.cublasCreate_v2(p));
            MemorySegment blas = p.get(ValueLayout.ADDRESS, 0);
            Cuda.checkCublas("cublasSetStream_v2", cublas_h.cublasSetStream_v2(blas, stream));
            MemorySegment result = arena.allocate(ValueLayout.JAVA_FLOAT);
            Cuda.checkCublas("cublasSdot_v2", cublas_h.cublasSdot_v2(blas, data.length, dx, 1, dx, 1, result));
            Cuda.checkRuntime("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream));
            double dot = 0;
            for (float f : data) dot += (double) f * f;
            assertTrue(Math.abs(result.get(ValueLayout.JAVA_FLOAT, 0) - dot) <= 1e-5 * dot,
                    "cublasSdot_v2 " + result.get(ValueLayout.JAVA_FLOAT, 0) + ", Java " + dot);

            Cuda.checkCublas("cublasDestroy_v2", cublas_h.cublasDestroy_v2(blas));
            Cuda.checkCudnn("cudnnDestroyTensorDescriptor", cudnn_h.cudnnDestroyTensorDescriptor(desc));
            Cuda.checkCudnn("cudnnDestroy", cudnn_h.cudnnDestroy(dnn));
            Cuda.checkRuntime("cudaFree", cudart_h.cudaFree(dx));
            Cuda.checkRuntime("cudaFree", cudart_h.cudaFree(dy));
            Cuda.checkRuntime("cudaStreamDestroy", cudart_h.cudaStreamDestroy(stream));
        }
    }
}

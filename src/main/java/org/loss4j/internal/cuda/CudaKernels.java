package org.loss4j.internal.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.loss4j.Device;
import org.loss4j.internal.cuda.cudart.cudart_h;
import org.loss4j.internal.cuda.cudart.dim3;

/**
 * loss4j's own CUDA kernels ({@code src/main/cuda/loss4j_kernels.cu}), built by nvcc at build time into the resource
 * {@code org/loss4j/cuda/loss4j_kernels.fatbin}, loaded per device with {@code cudaLibraryLoadData} and launched with
 * {@code cudaLaunchKernel} on the calling thread's stream (runtime API only: libcuda needs no binding). Every kernel
 * takes only 8-byte arguments (long long, double, pointers).
 */
public final class CudaKernels {

    private CudaKernels() {}

    static final String RESOURCE_DIR = "/org/loss4j/cuda/";
    public static final String FATBIN = RESOURCE_DIR + "loss4j_kernels.fatbin";
    public static final String PTX = RESOURCE_DIR + "loss4j_kernels.ptx";
    public static final String BUILD_INFO = RESOURCE_DIR + "build-info.properties";

    /** Threads per block of every kernel (LOSS4J_BLOCK in the .cu). */
    public static final int BLOCK = 256;
    /** At most this many blocks per grid-stride launch: the partial sums then fit one small buffer. */
    public static final int MAX_BLOCKS = 1024;

    /** The pointwise term kernels: {@code loss4j_pw_<term>_<f32|f64>}. */
    public static final List<String> POINTWISE_TERMS = List.of("squared_error", "absolute_error", "smooth_l1", "huber",
            "ranking_hinge", "embedding_hinge", "logits_bce", "kl_div");

    /** Every entry point the Java side launches (a test checks each is in the built PTX). */
    public static List<String> entryPoints() {
        java.util.ArrayList<String> names = new java.util.ArrayList<>();
        for (String t : POINTWISE_TERMS) {
            names.add("loss4j_pw_" + t + "_f32");
            names.add("loss4j_pw_" + t + "_f64");
        }
        names.add("loss4j_sum_partials");
        for (String f : List.of("f32", "f64")) {
            for (String i : List.of("i64", "i32")) {
                names.add("loss4j_class_forward_" + f + "_" + i);
                names.add("loss4j_class_backward_" + f + "_" + i);
            }
            names.add("loss4j_gather_rows_" + f);
            names.add("loss4j_scatter_add_rows_" + f);
            names.add("loss4j_add_bias_" + f);
        }
        names.add("loss4j_ctc_unnormalised_rows_f32");
        names.add("loss4j_ctc_scale_grad_f32");
        return List.copyOf(names);
    }

    private static final class Image {
        static final Properties INFO = readInfo();
        // build-info decides: a fatbin left over from an earlier build (resources are copied, never deleted) is ignored
        static final byte[] FATBIN_BYTES = "true".equals(INFO.getProperty("built")) ? read(FATBIN) : null;
    }

    /** The build's note: {@code built=true|false}, nvcc's version or the reason. */
    public static Properties buildInfo() {
        return Image.INFO;
    }

    /** Why the kernels cannot be used, or null when the fatbin is in the jar. */
    public static String unavailableReason() {
        if (Image.FATBIN_BYTES != null) return null;
        String reason = Image.INFO.getProperty("reason");
        return "kernels not built: " + (reason != null ? reason : "nvcc was not found when this jar was built")
                + " (rebuild with nvcc on PATH or NVCC=/path/to/nvcc)";
    }

    private static byte[] read(String resource) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    private static Properties readInfo() {
        Properties p = new Properties();
        try (InputStream in = CudaKernels.class.getResourceAsStream(BUILD_INFO)) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // reported as "not built"
        }
        return p;
    }

    // ---- loading -----------------------------------------------------------------------------------------------

    /** Loaded libraries per device, and kernels by "device:name". The image lives as long as the process. */
    private static final ConcurrentHashMap<Integer, MemorySegment> LIBRARIES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, MemorySegment> KERNELS = new ConcurrentHashMap<>();
    private static volatile MemorySegment image;

    private static MemorySegment image() {
        MemorySegment m = image;
        if (m == null) {
            synchronized (CudaKernels.class) {
                m = image;
                if (m == null) {
                    String why = unavailableReason();
                    if (why != null) throw new IllegalStateException(why);
                    m = Arena.global().allocate(Image.FATBIN_BYTES.length + 1L, 16);
                    MemorySegment.copy(Image.FATBIN_BYTES, 0, m, ValueLayout.JAVA_BYTE, 0, Image.FATBIN_BYTES.length);
                    image = m;
                }
            }
        }
        return m;
    }

    private static MemorySegment library(Device device) {
        return LIBRARIES.computeIfAbsent(device.index(), i -> {
            CudaContext.stream(device); // makes the device current
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                Cuda.checkRuntime("cudaLibraryLoadData", cudart_h.cudaLibraryLoadData(out, image(), MemorySegment.NULL,
                        MemorySegment.NULL, 0, MemorySegment.NULL, MemorySegment.NULL, 0));
                return out.get(ValueLayout.ADDRESS, 0);
            }
        });
    }

    /** The kernel handle ({@code cudaKernel_t}, usable as {@code cudaLaunchKernel}'s func) of {@code name}. */
    static MemorySegment kernel(Device device, String name) {
        return KERNELS.computeIfAbsent(device.index() + ":" + name, k -> {
            MemorySegment lib = library(device);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                Cuda.checkRuntime("cudaLibraryGetKernel(" + name + ")", cudart_h.cudaLibraryGetKernel(out, lib, a.allocateFrom(name)));
                return out.get(ValueLayout.ADDRESS, 0);
            }
        });
    }

    // ---- launching ---------------------------------------------------------------------------------------------

    /** Per-thread launch buffers: the argument values, the pointer array to them, and the two dim3s. */
    private static final class Launch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment values = arena.allocate(8L * 16, 8);
        final MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, 16);
        final MemorySegment grid = arena.allocate(dim3.layout());
        final MemorySegment block = arena.allocate(dim3.layout());

        Launch() {
            for (int i = 0; i < 16; i++) pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
        }
    }

    private static final ThreadLocal<Launch> LAUNCH = ThreadLocal.withInitial(Launch::new);

    /**
     * Launches {@code name} on {@code device} with {@code blocks} x {@link #BLOCK} threads on this thread's stream.
     * Each argument is a {@code Long} (long long), a {@code Double}, or a {@code MemorySegment} (a device pointer;
     * {@code null} is NULL). Does not wait for the kernel.
     */
    static void launch(Device device, String name, int blocks, Object... args) {
        MemorySegment stream = CudaContext.stream(device);
        MemorySegment func = kernel(device, name);
        Launch l = LAUNCH.get();
        if (args.length > 16) throw new IllegalArgumentException("too many kernel arguments: " + args.length);
        for (int i = 0; i < args.length; i++) {
            Object v = args[i];
            long off = 8L * i;
            if (v == null) l.values.set(ValueLayout.JAVA_LONG, off, 0L);
            else if (v instanceof Long x) l.values.set(ValueLayout.JAVA_LONG, off, x);
            else if (v instanceof Double x) l.values.set(ValueLayout.JAVA_DOUBLE, off, x);
            else if (v instanceof MemorySegment x) l.values.set(ValueLayout.JAVA_LONG, off, x.address());
            else throw new IllegalArgumentException("kernel argument " + i + " of " + name + ": unsupported " + v.getClass());
        }
        dim3.x(l.grid, blocks);
        dim3.y(l.grid, 1);
        dim3.z(l.grid, 1);
        dim3.x(l.block, BLOCK);
        dim3.y(l.block, 1);
        dim3.z(l.block, 1);
        Cuda.checkRuntime("cudaLaunchKernel(" + name + ")",
                cudart_h.cudaLaunchKernel(func, l.grid, l.block, l.pointers, 0L, stream));
    }

    /** Grid size for a grid-stride kernel over {@code n} elements (a function of n only: sums are reproducible). */
    static int blocksFor(long n) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (n + BLOCK - 1) / BLOCK));
    }
}

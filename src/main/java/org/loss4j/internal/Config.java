package org.loss4j.internal;

import java.util.Locale;

/**
 * Every {@code loss4j.*} system property and its environment variable, in one typed registry. A system property
 * wins over the environment variable ({@code loss4j.backend} / {@code LOSS4J_BACKEND}).
 */
public enum Config {
    /** Backend for automatic selection: {@code auto} (default), {@code java}, {@code onednn}, {@code cuda}. */
    BACKEND("loss4j.backend", "auto"),
    /** Log native-library search steps and backend selection to stderr: {@code true}/{@code false}. */
    DEBUG("loss4j.debug", "false"),
    /** Directory of the PyTorch vectors for {@code verify}; default: the ones bundled in the jar. */
    VECTORS("loss4j.vectors", ""),
    /**
     * oneDNN natives: a directory holding {@code libdnnl.so.3} (and, beside it, {@code libgomp.so.1} and
     * {@code libOpenCL.so.1} where the system lacks them), or the path of {@code libdnnl.so.3} itself. When set, it is
     * the only place searched; default: the jar on the class path, then the system library path.
     */
    ONEDNN_PATH("loss4j.onednn.path", ""),
    /**
     * CUDA natives ({@code libcudart.so.13}, {@code libcublas.so.13} + {@code libcublasLt.so.13}, {@code libcudnn.so.9}
     * + its sub-libraries): a {@code :}-separated list of places, each a directory holding libraries, a Python
     * {@code site-packages} directory with NVIDIA's wheels ({@code nvidia/cudnn/lib}, {@code nvidia/cu13/lib}), or a
     * CUDA install root ({@code lib64}). When set, only these are searched; default: the pip-installed wheels, then
     * {@code LD_LIBRARY_PATH} and the CUDA install, then the system library path.
     */
    CUDA_PATH("loss4j.cuda.path", ""),
    /**
     * The Python (an executable, or a virtual environment's directory) whose {@code site-packages} hold NVIDIA's
     * {@code nvidia-cudnn-cu13} and {@code nvidia-cublas} wheels; default: {@code python3} on the {@code PATH}.
     */
    CUDA_PYTHON("loss4j.cuda.python", ""),
    /**
     * Where native libraries from jars on the class path are extracted (one subdirectory per checksum); default:
     * {@code $XDG_CACHE_HOME/loss4j/native}, else {@code ~/.cache/loss4j/native}.
     */
    NATIVE_CACHE("loss4j.native.cache", ""),
    /** Most oneDNN primitives kept (beyond it, primitives are created and destroyed per call). */
    ONEDNN_CACHE("loss4j.onednn.cache", "4096"),
    /**
     * Let oneDNN compute softmax/log-softmax on the oneDNN backend. Off by default: oneDNN's JIT exp/log
     * approximations were measured 3.8e-6 absolute off on log-softmax (float32), beyond loss4j's tolerance, so the
     * Java kernels serve softmax unless a user accepts that error for speed.
     */
    ONEDNN_FAST_SOFTMAX("loss4j.onednn.fastSoftmax", "false"),
    /**
     * Smallest call (in elements; for matmul, multiply-adds) the oneDNN backend runs natively; smaller calls use the
     * Java kernels, which win there (a primitive execution costs a few microseconds: measured 8 us vs 1.5 us for MSE
     * forward+backward over 13 elements). The test suite sets 0 so that every native path is exercised.
     */
    ONEDNN_MIN_ELEMENTS("loss4j.onednn.minElements", "16384"),
    /**
     * Threads the Java kernels use for one large call (the caller's thread plus a small dedicated pool); default:
     * the number of available processors. {@code 1} keeps every call on the caller's thread.
     */
    THREADS("loss4j.threads", ""),
    /**
     * Smallest call (in elements) the Java kernels split across {@link #THREADS}; smaller calls stay on the caller's
     * thread (splitting tiny work costs more than it saves).
     */
    PARALLEL_MIN_ELEMENTS("loss4j.parallel.minElements", "262144"),
    /**
     * Use the {@code jdk.incubator.vector} kernels when the module is present ({@code --add-modules
     * jdk.incubator.vector}); {@code false} forces the scalar kernels.
     */
    VECTORIZATION("loss4j.vectorization", "true"),
    /**
     * Leak-tracking debug mode: record where (thread and stack trace) every native object loss4j allocates is made
     * (oneDNN engine, primitives, streams, memory objects, scratchpads), and report the ones still alive when their
     * owner closes ({@code org.loss4j.internal.nativelib.NativeLeaks}); at JVM exit the oneDNN runtime is closed and
     * leaks are printed to stderr. {@code true}/{@code false}; off by default (it costs a stack trace per allocation).
     */
    LEAKS("loss4j.leaks", "false");

    private final String property;
    private final String defaultValue;

    Config(String property, String defaultValue) {
        this.property = property;
        this.defaultValue = defaultValue;
    }

    /** The system property name. */
    public String property() {
        return property;
    }

    /** The environment variable name, e.g. {@code LOSS4J_BACKEND}. */
    public String environmentVariable() {
        return property.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** The effective value: system property, else environment variable, else the default. */
    public String get() {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(environmentVariable());
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    public boolean getBoolean() {
        return Boolean.parseBoolean(get());
    }
}

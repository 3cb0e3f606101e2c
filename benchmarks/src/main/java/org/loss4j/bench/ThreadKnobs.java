package org.loss4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;

/**
 * The {@code threads} parameter: the most threads one call may use (intra-op parallelism), not the number of callers.
 * <ul>
 *   <li>loss4j: the system property {@code loss4j.threads} (for the library's parallelism knob, once it reads one)
 *       and the common fork-join pool's parallelism ({@code threads - 1} helpers beside the caller), which the Java
 *       kernels' parallel streams use (only CTC's batch loop today: the other Java kernels are single-threaded);</li>
 *   <li>oneDNN (OpenMP): {@code omp_set_num_threads(threads)} on the benchmark thread, through the libgomp that the
 *       oneDNN backend loaded;</li>
 *   <li>libtorch: {@code torch.set_num_threads(threads)} (in the peer).</li>
 * </ul>
 * Each JMH fork runs one parameter set, so these process-wide settings never mix.
 */
final class ThreadKnobs {

    private ThreadKnobs() {}

    /** Before the first loss4j call in this JVM. */
    static void beforeLoss4j(int threads) {
        System.setProperty("loss4j.threads", Integer.toString(threads));
        System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", Integer.toString(threads - 1));
        int p = ForkJoinPool.getCommonPoolParallelism();
        if (threads > 1 && p != threads - 1) {
            System.err.println("bench: warning: the common fork-join pool was already started with parallelism " + p
                    + "; loss4j's parallel Java kernels may use " + (p + 1) + " threads, not " + threads);
        }
    }

    /** After the oneDNN backend has loaded libgomp: caps OpenMP's team for calls from this thread. */
    static void openmp(int threads) {
        try {
            Optional<MemorySegment> f = SymbolLookup.libraryLookup("libgomp.so.1", Arena.global()).find("omp_set_num_threads");
            if (f.isEmpty()) {
                System.err.println("bench: warning: omp_set_num_threads not found in libgomp.so.1; oneDNN uses its default threads");
                return;
            }
            MethodHandle set = Linker.nativeLinker().downcallHandle(f.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            set.invokeExact(threads);
        } catch (Throwable e) {
            System.err.println("bench: warning: cannot set OpenMP threads (" + e + "); oneDNN uses its default threads"
                    + " (set OMP_NUM_THREADS)");
        }
    }
}

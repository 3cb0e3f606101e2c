package org.loss4j.internal.java.vector;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.loss4j.internal.Config;

/**
 * Chooses the {@link PairKernels} once, at start-up (Lucene's VectorizationProvider): the {@code jdk.incubator.vector}
 * implementation when the module is present ({@code --add-modules jdk.incubator.vector}), not disabled by
 * {@code loss4j.vectorization=false}, and the preferred species is at least 256 bits wide; else the scalar one.
 * Each failed check logs one line saying how to enable the vector kernels.
 */
public final class Vectorization {

    private static final String MODULE = "jdk.incubator.vector";
    private static final PairKernels KERNELS = select();

    private Vectorization() {}

    /** The active kernels. */
    public static PairKernels pairKernels() {
        return KERNELS;
    }

    /** What serves the float32 pointwise kernels, e.g. {@code "panama-vector 512-bit (8 lanes, double accumulation)"}. */
    public static String description() {
        return KERNELS.description();
    }

    private static PairKernels select() {
        if (!Boolean.parseBoolean(Config.VECTORIZATION.get())) {
            log("loss4j: vector kernels disabled by " + Config.VECTORIZATION.property() + "=false; scalar kernels in use "
                    + "(remove the setting to enable them)");
            return ScalarPairKernels.INSTANCE;
        }
        Module self = Vectorization.class.getModule();
        ModuleLayer layer = self.getLayer() != null ? self.getLayer() : ModuleLayer.boot();
        if (layer.findModule(MODULE).isEmpty()) {
            log("loss4j: scalar kernels in use; to enable the vector kernels add --add-modules " + MODULE);
            return ScalarPairKernels.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(Vectorization.class.getPackageName() + ".PanamaPairKernels");
            var lookup = MethodHandles.lookup();
            int bits = (int) lookup.findStatic(c, "preferredBits", MethodType.methodType(int.class)).invoke();
            if (bits < 256) {
                log("loss4j: scalar kernels in use: the preferred vector size is " + bits + " bits (the vector kernels need "
                        + "256 or more; check -XX:UseAVX / -XX:MaxVectorSize)");
                return ScalarPairKernels.INSTANCE;
            }
            return (PairKernels) lookup.findStatic(c, "create", MethodType.methodType(PairKernels.class)).invoke();
        } catch (Throwable e) {
            log("loss4j: scalar kernels in use: the vector kernels failed to load (" + e + "); add --add-modules " + MODULE);
            return ScalarPairKernels.INSTANCE;
        }
    }

    private static void log(String line) {
        System.getLogger("org.loss4j").log(System.Logger.Level.INFO, line);
    }
}

package org.loss4j.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The bandwidth probe's vector loops (needs {@code --add-modules jdk.incubator.vector}, which the forks get). */
final class VectorKernels {

    private VectorKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder O = ByteOrder.nativeOrder();

    /** Fails early, with the reason, where the module is missing. */
    static void check() {
        if (S.length() < 1) throw new IllegalStateException("no float vector species");
    }

    static float sum(MemorySegment m, long from, long to) {
        int l = S.length();
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        long i = from;
        long bound = from + (to - from) / (4L * l) * (4L * l);
        for (; i < bound; i += 4L * l) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, m, i * 4, O));
            s1 = s1.add(FloatVector.fromMemorySegment(S, m, (i + l) * 4, O));
            s2 = s2.add(FloatVector.fromMemorySegment(S, m, (i + 2L * l) * 4, O));
            s3 = s3.add(FloatVector.fromMemorySegment(S, m, (i + 3L * l) * 4, O));
        }
        float s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) s += m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return s;
    }

    static void triad(MemorySegment a, MemorySegment b, MemorySegment c, float s, long from, long to) {
        int l = S.length();
        FloatVector vs = FloatVector.broadcast(S, s);
        long i = from;
        long bound = from + (to - from) / l * l;
        for (; i < bound; i += l) {
            FloatVector vc = FloatVector.fromMemorySegment(S, c, i * 4, O);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, i * 4, O);
            vc.fma(vs, vb).intoMemorySegment(a, i * 4, O);
        }
        for (; i < to; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + s * c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }
}

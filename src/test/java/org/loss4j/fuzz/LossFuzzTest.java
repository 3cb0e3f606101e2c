package org.loss4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.fuzz.FuzzCases.Dims;
import org.loss4j.fuzz.FuzzCases.Knobs;
import org.loss4j.fuzz.FuzzCases.MemoryKind;
import org.loss4j.fuzz.FuzzCases.Mutation;
import org.loss4j.fuzz.FuzzCases.ValueKind;
import org.loss4j.loss.Losses;

/**
 * Property-based fuzzing of every loss on every CPU backend (jqwik). Each generated case runs on every backend
 * present (Java, oneDNN) and either matches the Java reference — forward, every gradient, forward = fused loss,
 * caller-tensor call styles, heap memory = native memory — or throws exactly the documented exception with a message
 * naming an argument or option. Never another exception, an {@link Error}, a hang (a per-case time limit) or a result
 * where an exception was due. See {@link FuzzCases} for the generators and {@link FuzzRunner} for the checks.
 *
 * <p>CI runs {@value #DEFAULT_CASES} cases (each on every backend). More:
 * {@code src/bin/loss4j test -Dtest=LossFuzzTest -Dloss4j.fuzz.tries=1000000} runs 1,000,000, split over the three
 * case properties in the proportions of their default tries. A failure prints the case, the shrunk sample and the
 * seed; {@code -Dloss4j.fuzz.seed=SEED} replays that run (jqwik also retries the failing sample first, from
 * {@code target/jqwik-database}). {@code -Dloss4j.fuzz.timeoutSeconds} sets the per-case time limit (default 60).
 */
class LossFuzzTest {

    /** Cases per backend of the three case properties at their default tries. */
    static final int DEFAULT_CASES = 24_000;

    @Property(tries = 10_000)
    @AddLifecycleHook(ScaledTries.class)
    void validCallsMatchTheJavaBackend(@ForAll("valid") Knobs k) {
        FuzzRunner.check(FuzzCases.build(k));
    }

    @Property(tries = 8_000)
    @AddLifecycleHook(ScaledTries.class)
    void brokenCallsThrowTheDocumentedException(@ForAll("broken") Knobs k) {
        FuzzRunner.check(FuzzCases.build(k));
    }

    @Property(tries = 6_000)
    @AddLifecycleHook(ScaledTries.class)
    void wildCallsNeverCrash(@ForAll("wild") Knobs k) {
        FuzzRunner.check(FuzzCases.build(k));
    }

    /**
     * {@link Tensor#wrap} and {@link Tensor#zeros}: undersized segments, negative or overflowing shapes and
     * non-contiguous strides give {@link IllegalArgumentException}, closed memory {@link IllegalStateException};
     * heap, oversized and misaligned segments work.
     */
    @Property(tries = 2_000)
    void wrapChecksEverySegment(@ForAll DType dtype, @ForAll @IntRange(min = 0, max = 9) int defect, @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] shape = new long[rnd.nextInt(5)];
        for (int d = 0; d < shape.length; d++) shape[d] = rnd.nextInt(6);
        long n = 1;
        for (long s : shape) n *= s;
        long need = n * dtype.byteSize();
        String what = "defect " + defect + " " + dtype + Arrays.toString(shape);
        switch (defect) {
            case 1 -> {
                if (need == 0) return;
                MemorySegment seg = Arena.ofAuto().allocate(need - 1 - rnd.nextLong(need), 1);
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, dtype, shape), what), "segment");
            }
            case 2 -> {
                Arena arena = Arena.ofConfined();
                MemorySegment seg = arena.allocate(Math.max(1, need));
                arena.close();
                assertThrows(IllegalStateException.class, () -> Tensor.wrap(seg, dtype, shape), what);
            }
            case 3 -> {
                long[] bad = shape.length == 0 ? new long[] {-1} : shape.clone();
                bad[rnd.nextInt(bad.length)] = -1 - rnd.nextInt(1000);
                MemorySegment seg = Arena.ofAuto().allocate(64);
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, dtype, bad), what), "shape");
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(dtype, bad), what), "shape");
            }
            case 4 -> {
                // element or byte counts beyond a long
                long[] huge = switch (rnd.nextInt(4)) {
                    case 0 -> new long[] {1L << 32, 1L << 32};
                    case 1 -> new long[] {Long.MAX_VALUE / dtype.byteSize() + 1};
                    case 2 -> new long[] {Long.MAX_VALUE, 2};
                    default -> new long[] {3, 1L << 62, 1};
                };
                MemorySegment seg = Arena.ofAuto().allocate(64);
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, dtype, huge), what), "shape");
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(dtype, huge), what), "shape");
                Tensor small = Tensor.zeros(dtype, 2);
                mentions(assertThrows(IllegalArgumentException.class, () -> small.reshape(huge), what), "shape");
            }
            case 5 -> {
                // strides: contiguous ones are accepted, anything else is rejected (loss4j never copies silently)
                if (shape.length == 0) return;
                long[] strides = new long[shape.length];
                long acc = 1;
                for (int d = shape.length - 1; d >= 0; d--) {
                    strides[d] = acc;
                    acc *= Math.max(1, shape[d]);
                }
                MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, need));
                assertEquals(n, Tensor.wrap(seg, dtype, shape, strides).numel(), what);
                int d = rnd.nextInt(shape.length);
                if (shape[d] <= 1) return;
                strides[d] += 1 + rnd.nextInt(3);
                mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, dtype, shape, strides), what), "strides");
            }
            default -> {
                // 0: exact native; 6: oversized; 7: heap bytes; 8: misaligned; 9: typed heap
                MemorySegment seg = switch (defect) {
                    case 6 -> Arena.ofAuto().allocate(need + 1 + rnd.nextInt(100), 1);
                    case 7 -> MemorySegment.ofArray(new byte[(int) need]);
                    case 8 -> Arena.ofAuto().allocate(need + 8, 1).asSlice(1 + rnd.nextInt(7), need);
                    case 9 -> switch (dtype) {
                        case F32 -> MemorySegment.ofArray(new float[(int) n]);
                        case F64 -> MemorySegment.ofArray(new double[(int) n]);
                        case I64 -> MemorySegment.ofArray(new long[(int) n]);
                        case BF16 -> MemorySegment.ofArray(new short[(int) n]);
                        case I32 -> MemorySegment.ofArray(new int[(int) n]);
                    };
                    default -> Arena.ofAuto().allocate(Math.max(1, need)).asSlice(0, need);
                };
                Tensor t = Tensor.wrap(seg, dtype, shape);
                assertEquals(n, t.numel(), what);
                assertEquals(need, t.byteSize(), what);
                for (long i = 0; i < n; i++) t.setDouble(i, i % 7);
                for (long i = 0; i < n; i++) assertEquals((double) (i % 7), t.getDouble(i), what);
            }
        }
    }

    private static void mentions(Throwable e, String word) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        assertTrue(m.contains(word), () -> e.getClass().getSimpleName() + " should mention '" + word + "': " + e.getMessage());
    }

    @AfterContainer
    static void summary() {
        System.out.println(FuzzRunner.summary());
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Knobs> valid() {
        return knobs(Arbitraries.just(Mutation.NONE));
    }

    @Provide
    Arbitrary<Knobs> broken() {
        return knobs(Arbitraries.of(Arrays.stream(Mutation.values()).filter(m -> m != Mutation.NONE && m != Mutation.WILD)
                .toArray(Mutation[]::new)));
    }

    @Provide
    Arbitrary<Knobs> wild() {
        return knobs(Arbitraries.just(Mutation.WILD));
    }

    static Arbitrary<Knobs> knobs(Arbitrary<Mutation> mutation) {
        Arbitrary<Dims> dims = Combinators.combine(
                Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(0, 7),
                Arbitraries.integers().between(0, 3).list().ofMaxSize(2),
                Arbitraries.integers().between(0, 3)).as(Dims::new);
        Arbitrary<ValueKind> values = Arbitraries.frequency(
                Tuple.of(2, ValueKind.NORMAL), Tuple.of(1, ValueKind.EXTREME), Tuple.of(1, ValueKind.SPECIAL));
        Arbitrary<MemoryKind> memory = Arbitraries.frequency(
                Tuple.of(12, MemoryKind.NATIVE), Tuple.of(2, MemoryKind.HEAP_TYPED), Tuple.of(2, MemoryKind.HEAP_BYTES),
                Tuple.of(2, MemoryKind.MISALIGNED), Tuple.of(2, MemoryKind.OVERSIZED));
        return Combinators.combine(
                Arbitraries.of(Losses.NAMES),
                Arbitraries.of(DType.F32, DType.F64),
                Arbitraries.integers().between(0, 3),
                dims, values, memory, mutation,
                Arbitraries.longs()).as(Knobs::new);
    }

    /**
     * Scales a property's tries by {@code loss4j.fuzz.tries} (total cases per backend over the three case
     * properties; default {@value #DEFAULT_CASES}) and fixes its seed to {@code loss4j.fuzz.seed} if set.
     */
    public static final class ScaledTries implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            String total = System.getProperty("loss4j.fuzz.tries");
            if (total != null && !total.isBlank()) {
                int base = context.attributes().tries().orElse(1000);
                long scaled = Math.round((double) base * Long.parseLong(total.trim()) / DEFAULT_CASES);
                context.attributes().setTries((int) Math.max(1, Math.min(Integer.MAX_VALUE, scaled)));
            }
            String seed = System.getProperty("loss4j.fuzz.seed");
            if (seed != null && !seed.isBlank()) context.attributes().setSeed(seed.trim());
            return property.execute();
        }
    }
}

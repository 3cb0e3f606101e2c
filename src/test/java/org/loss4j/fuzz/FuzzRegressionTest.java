package org.loss4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.loss4j.DType;
import org.loss4j.Tensor;
import org.loss4j.loss.Loss;
import org.loss4j.loss.Losses;

/** The bugs {@link LossFuzzTest} found, one test each, so that they stay fixed whatever the fuzzer's seed. */
class FuzzRegressionTest {

    /** Shapes whose element or byte count overflows a long were an ArithmeticException (or an IOOBE in zeros). */
    @Test
    void overflowingShapesAreIllegalArguments() {
        var seg = Arena.ofAuto().allocate(64);
        for (long[] shape : List.of(new long[] {1L << 32, 1L << 32}, new long[] {Long.MAX_VALUE, 2}, new long[] {1L << 62})) {
            mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, DType.F32, shape)), "shape");
            mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F64, shape)), "shape");
            mentions(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, 4).reshape(shape)), "shape");
        }
        // a zero dimension makes the tensor empty however large the others are
        assertEquals(0, Tensor.wrap(seg, DType.F32, 1L << 62, 1L << 62, 0).numel());
    }

    /**
     * CTC target_lengths {MAX, MAX, n + 2} add up (in wrapping int64 arithmetic) to the n concatenated targets, so the
     * length check passed and the label check read past the targets: an IndexOutOfBoundsException from the memory
     * segment that named no argument.
     */
    @Test
    void ctcTargetLengthsThatOverflowAreRejected() {
        Loss ctc = Losses.ctc();
        Tensor logProbs = Tensor.zeros(DType.F32, 4, 3, 3);
        Tensor targets = Tensor.of(new long[] {1, 2, 1, 2});
        Tensor inputLengths = Tensor.of(new long[] {4, 4, 4});
        Tensor targetLengths = Tensor.of(new long[] {Long.MAX_VALUE, Long.MAX_VALUE, 6});
        var e = assertThrows(IllegalArgumentException.class, () -> ctc.forward(logProbs, targets, inputLengths, targetLengths));
        mentions(e, "target_lengths");
    }

    /** A div_value whose powers underflow to 0 divided by zero: an ArithmeticException (PyTorch: ZeroDivisionError). */
    @Test
    void adaptiveDivValueThatUnderflowsIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Losses.fromPyTorch("AdaptiveLogSoftmaxWithLoss",
                Map.of("in_features", 0, "n_classes", 7, "cutoffs", List.of(2L, 5L, 6L), "div_value", Double.MIN_VALUE)));
        mentions(e, "div_value");
    }

    /**
     * A tensor of a confined arena owned by another thread gave the JDK's WrongThreadException, or — when the tensor
     * is empty and never read — a silent result.
     */
    @Test
    void tensorsConfinedToAnotherThreadAreIllegalState() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor empty = Tensor.zeros(arena, DType.F32, 0, 3);
            Tensor full = Tensor.zeros(arena, DType.F32, 2, 3);
            for (Tensor target : List.of(empty, full)) {
                Tensor input = Tensor.zeros(DType.F32, target.shape());
                Throwable e = onAnotherThread(() -> Losses.mse().forward(input, target));
                assertEquals(IllegalStateException.class, e.getClass(), String.valueOf(e));
                mentions(e, "target");
            }
        }
    }

    private static Throwable onAnotherThread(Runnable r) throws InterruptedException {
        try {
            CompletableFuture.runAsync(r).get();
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("no exception");
    }

    private static void mentions(Throwable e, String word) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        assertTrue(m.contains(word), () -> e.getClass().getSimpleName() + " should mention '" + word + "': " + e.getMessage());
    }
}

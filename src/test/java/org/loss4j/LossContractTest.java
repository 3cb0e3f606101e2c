package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.loss.Loss;
import org.loss4j.loss.LossResult;
import org.loss4j.loss.Losses;

/**
 * Contracts every loss keeps, checked on real inputs taken from its PyTorch vectors: both call styles agree bit for
 * bit, and bad input (closed memory, null, wrong dtype, wrong arity, badly shaped outputs, a missing grad_output)
 * gives the documented exception with a message that names the argument.
 */
class LossContractTest {

    /** Up to 6 cases per loss that have gradients (valid input), spread over the file. */
    static Stream<VectorCase> samples() {
        List<VectorCase> out = new ArrayList<>();
        var set = PyTorchVectorTest.vectors();
        for (String loss : set.losses()) {
            List<VectorCase> ok = set.cases(loss).stream()
                    .filter(c -> !c.expectsError() && !c.grads().isEmpty() && c.output().numel() > 0).toList();
            int step = Math.max(1, ok.size() / 6);
            for (int i = 0; i < ok.size() && out.size() < 10_000; i += step) {
                out.add(ok.get(i));
                if ((i / step) >= 5) break;
            }
        }
        return out.stream();
    }

    static Loss lossOf(VectorCase c) {
        return Losses.fromPyTorch(c.loss(), c.options());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void bothCallStylesAgreeBitForBit(VectorCase c) {
        Loss loss = lossOf(c);
        Tensor[] args = c.args();
        Tensor fwd = loss.forward(args);
        Tensor out = Tensor.zeros(fwd.dtype(), fwd.shape());
        loss.forwardInto(out, args);
        assertArrayEquals(fwd.toDoubleArray(), out.toDoubleArray(), "forwardInto vs forward");

        LossResult r = loss.backward(c.gradOutput(), args);
        assertArrayEquals(fwd.toDoubleArray(), r.loss().toDoubleArray(), "backward's loss vs forward");
        Tensor[] grads = new Tensor[args.length];
        List<String> names = loss.argumentNames();
        for (int i = 0; i < args.length; i++) {
            if (r.gradients().containsKey(names.get(i))) grads[i] = Tensor.zeros(args[i].dtype(), args[i].shape());
        }
        Tensor out2 = Tensor.zeros(fwd.dtype(), fwd.shape());
        loss.forwardBackwardInto(out2, grads, c.gradOutput(), args);
        assertArrayEquals(fwd.toDoubleArray(), out2.toDoubleArray(), "forwardBackwardInto's loss");
        for (int i = 0; i < args.length; i++) {
            if (grads[i] != null) {
                assertArrayEquals(r.gradients().get(names.get(i)).toDoubleArray(), grads[i].toDoubleArray(),
                        "forwardBackwardInto's gradient of " + names.get(i));
            }
        }
        // only one gradient asked for: the others are not touched, and the one asked for is the same
        for (int i = 0; i < args.length; i++) {
            if (grads[i] == null) continue;
            Tensor[] one = new Tensor[args.length];
            one[i] = Tensor.zeros(args[i].dtype(), args[i].shape());
            loss.forwardBackwardInto(null, one, c.gradOutput(), args);
            assertArrayEquals(grads[i].toDoubleArray(), one[i].toDoubleArray(), "single gradient of " + names.get(i));
            break;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void closedMemoryIsAnIllegalStateException(VectorCase c) {
        Loss loss = lossOf(c);
        Tensor[] args = c.args().clone();
        Arena arena = Arena.ofConfined();
        args[0] = copyInto(arena, args[0]);
        arena.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loss.forward(args));
        assertMentions(e, c.argNames().get(0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void nullWrongArityAndWrongDtypeAreRejected(VectorCase c) {
        Loss loss = lossOf(c);
        Tensor[] args = c.args().clone();
        Tensor[] withNull = args.clone();
        withNull[0] = null;
        assertMentions(assertThrows(IllegalArgumentException.class, () -> loss.forward(withNull)), c.argNames().get(0));
        Tensor[] shorter = java.util.Arrays.copyOf(args, args.length - 1);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> loss.forward(shorter)), c.loss());
        // the first floating argument in the other float dtype: loss4j never converts silently
        for (int i = 0; i < args.length; i++) {
            if (args[i].dtype().isFloating() && args[i].numel() > 0) {
                Tensor[] mixed = args.clone();
                mixed[i] = convert(args[i], args[i].dtype() == DType.F32 ? DType.F64 : DType.F32);
                boolean others = false;
                for (int j = 0; j < args.length; j++) others |= j != i && args[j].dtype() == args[i].dtype();
                if (!others) break; // nothing to mismatch with
                assertMentions(assertThrows(IllegalArgumentException.class, () -> loss.forward(mixed)), c.argNames().get(i));
                break;
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void badlyShapedOutputsAndMissingGradOutputAreRejected(VectorCase c) {
        Loss loss = lossOf(c);
        Tensor[] args = c.args();
        Tensor fwd = loss.forward(args);
        Tensor wrong = Tensor.zeros(fwd.dtype(), fwd.numel() + 1);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> loss.forwardInto(wrong, args)), "out");
        Tensor[] grads = new Tensor[args.length];
        for (int i = 0; i < args.length; i++) {
            if (loss.differentiableArguments().contains(loss.argumentNames().get(i)) && args[i].dtype().isFloating()) {
                grads[i] = Tensor.zeros(args[i].dtype(), args[i].numel() + 1);
                break;
            }
        }
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> loss.forwardBackwardInto(null, grads, c.gradOutput(), args)), "grad");
        if (fwd.dim() > 0) {
            assertMentions(assertThrows(IllegalArgumentException.class, () -> loss.backward(null, args)), "gradOutput");
        }
    }

    static Tensor copyInto(Arena arena, Tensor t) {
        Tensor c = Tensor.zeros(arena, t.dtype(), t.shape());
        MemorySegment.copy(t.segment(), 0, c.segment(), 0, t.byteSize());
        return c;
    }

    static Tensor convert(Tensor t, DType to) {
        Tensor c = Tensor.zeros(to, t.shape());
        for (long i = 0; i < t.numel(); i++) c.setDouble(i, t.getDouble(i));
        return c;
    }

    static void assertMentions(Throwable e, String word) {
        String m = String.valueOf(e.getMessage());
        assertTrue(m.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                () -> e.getClass().getSimpleName() + " message should mention '" + word + "': " + m);
    }

}

package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.loss4j.internal.vectors.VectorCase;
import org.loss4j.internal.vectors.VectorRunner;
import org.loss4j.internal.vectors.VectorSet;

/** Every PyTorch vector on every backend present, at the tolerances of {@code Tolerance}. */
class PyTorchVectorTest {

    static VectorSet vectors() {
        Path dir = Path.of("test-vectors", "data");
        return Files.isDirectory(dir) ? VectorSet.fromDirectory(dir) : VectorSet.load();
    }

    static Stream<Arguments> cases() {
        VectorSet set = vectors();
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (VectorCase c : set.all()) out.add(Arguments.of(b, c));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorch(Backend backend, VectorCase c) {
        VectorRunner.Outcome o = VectorRunner.run(c, backend);
        assertTrue(o.passed(), () -> c.name() + " on " + backend.name() + ": " + o.detail());
    }

    /** The cuda backend joins {@link #matchesPyTorch} where it can run; elsewhere this says why it does not. */
    @Test
    void cudaBackendRunsTheVectorsWhereAvailable() {
        Backend cuda = Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        if (!cuda.isAvailable()) System.out.println("[PyTorchVectorTest] cuda skipped: " + cuda.unavailableReason());
        org.junit.jupiter.api.Assumptions.assumeTrue(cuda.isAvailable(), () -> "cuda unavailable: " + cuda.unavailableReason());
    }

    @Test
    void everyLossHasVectors() {
        List<String> missing = new ArrayList<>(org.loss4j.loss.Losses.NAMES);
        missing.removeAll(vectors().losses());
        assertTrue(missing.isEmpty(), "losses without PyTorch vectors: " + missing);
    }
}

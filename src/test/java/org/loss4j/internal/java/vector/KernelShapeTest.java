package org.loss4j.internal.java.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import org.junit.jupiter.api.Test;

/**
 * The rule that keeps the Java backend's vector kernels free of allocation, checked on the compiled classes: <b>no
 * method of loss4j takes or returns a {@code Vector}, {@code VectorMask} or {@code VectorShuffle}</b> (lambdas
 * included). Only the JDK's own vector methods may, because only they are {@code @ForceInline}.
 *
 * <p>Why: C2 keeps a vector in registers only while every method it flows through is inlined into the loop. A helper
 * of ours is inlined only if the JIT agrees to, and whether it agrees depends on compile order: once the helper has
 * been compiled on its own by C1 (where the Vector API is not intrinsified, so its code is large), C2 refuses it as
 * "already compiled into a big method" ({@code InlineSmallCode}) and boxes every vector that crosses the call, on
 * the heap, every iteration. CI saw exactly that: a shared {@code store(FloatVector, ...)} helper made every pointwise
 * forward+backward allocate 16 B per element in one JVM and nothing in others. Kernels therefore share code through
 * memory (a primitive loop over a block) or not at all, and {@code AllocationTest} runs a second time with a tiny
 * {@code InlineSmallCode} to prove it.
 */
class KernelShapeTest {

    private static boolean isVector(Class<?> c) {
        return Vector.class.isAssignableFrom(c) || VectorMask.class.isAssignableFrom(c) || VectorShuffle.class.isAssignableFrom(c);
    }

    @Test
    void noLoss4jMethodPassesVectorsAcrossACall() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(VectorMath.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().equals("module-info.class"))
                        .forEach(p -> names.add(root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "")));
            }
        } else {
            try (var jar = new java.util.jar.JarFile(root.toFile())) {
                jar.stream().map(java.util.jar.JarEntry::getName)
                        .filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class"))
                        .forEach(n -> names.add(n.replace('/', '.').replaceAll("\\.class$", "")));
            }
        }
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        for (String name : names) {
            if (!name.startsWith("org.loss4j.internal.java")) continue;
            Class<?> c = Class.forName(name, false, VectorMath.class.getClassLoader());
            for (Method m : c.getDeclaredMethods()) {
                checked++;
                boolean bad = isVector(m.getReturnType());
                for (Class<?> p : m.getParameterTypes()) bad |= isVector(p);
                if (bad) offenders.add(c.getName() + "." + m.getName() + m.toGenericString().replaceAll("^[^(]*", ""));
            }
        }
        assertTrue(checked > 100, "too few methods found under " + root + ": " + checked);
        assertTrue(offenders.isEmpty(), "methods that pass vectors across a call (C2 may box them):\n  "
                + String.join("\n  ", offenders));
    }
}

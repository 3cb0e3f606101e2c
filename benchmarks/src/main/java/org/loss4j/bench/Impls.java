package org.loss4j.bench;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Map;
import org.loss4j.DType;

/**
 * Makes an {@link Impl} by name: {@code java} and {@code onednn} (any loss4j backend name) run loss4j; the peers
 * are found by class name, so a peer whose jars or natives are missing fails alone, with the reason, and the loss4j
 * benchmarks still run. Add a peer by implementing {@link Impl} with a constructor
 * {@code (Workload, DType, String reduction, int threads)} and listing it in {@link #PEERS}.
 */
public final class Impls {

    private Impls() {}

    /** Peer name -> implementing class. */
    public static final Map<String, String> PEERS = Map.of("torch", "org.loss4j.bench.torch.TorchImpl");

    /** The implementations a full run compares. */
    public static final List<String> DEFAULT = List.of("java", "onednn", "torch");

    public static Impl create(String name, Workload w, DType dtype, String reduction, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        String peer = PEERS.get(name);
        if (peer == null) return new Loss4jImpl(w, dtype, reduction, name, threads);
        try {
            return (Impl) Class.forName(peer).getConstructor(Workload.class, DType.class, String.class, int.class)
                    .newInstance(w, dtype, reduction, threads);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw new IllegalStateException("peer '" + name + "' cannot run here: " + err, err);
            throw new IllegalStateException("peer '" + name + "' failed: " + c, c);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("peer '" + name + "' (" + peer + ") cannot be loaded: " + e, e);
        }
    }
}

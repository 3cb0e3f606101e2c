package org.loss4j;

import java.util.List;
import org.loss4j.internal.ops.BackendRegistry;

/**
 * Finds backends. Selection order: a per-loss choice ({@code loss.on(backend)}), then the system property
 * {@code loss4j.backend} (or environment variable {@code LOSS4J_BACKEND}), then the best available backend for the
 * tensors' device.
 */
public final class Backends {

    private Backends() {}

    /** Every backend loss4j knows, available or not. */
    public static List<Backend> all() {
        return BackendRegistry.all();
    }

    /** The backends that can run here. */
    public static List<Backend> available() {
        return all().stream().filter(Backend::isAvailable).toList();
    }

    /** The pure-Java backend; always available. */
    public static Backend java() {
        return BackendRegistry.java();
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException if no backend has that name
     * @throws IllegalStateException    if it exists but cannot run here; the message gives the reason
     */
    public static Backend get(String name) {
        return BackendRegistry.get(name);
    }

    /** The backend automatic selection picks for host tensors. */
    public static Backend defaultBackend() {
        return BackendRegistry.defaultFor(Device.CPU);
    }
}

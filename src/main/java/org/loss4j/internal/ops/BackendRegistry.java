package org.loss4j.internal.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.loss4j.Backend;
import org.loss4j.Device;
import org.loss4j.internal.Config;
import org.loss4j.internal.java.JavaBackend;

/**
 * Knows every backend. Native backends are probed once, lazily; a failed probe leaves a handle that reports why.
 */
public final class BackendRegistry {

    private BackendRegistry() {}

    private static final class Holder {
        static final List<Backend> ALL = probe();
    }

    private static List<Backend> probe() {
        List<Backend> list = new ArrayList<>();
        list.add(JavaBackend.INSTANCE);
        // Native backends: each probes its libraries lazily, on the first isAvailable(), and reports why not.
        list.add(org.loss4j.internal.onednn.OneDnnBackend.INSTANCE);
        list.add(org.loss4j.internal.cuda.CudaBackend.INSTANCE);
        return List.copyOf(list);
    }

    public static List<Backend> all() {
        return Holder.ALL;
    }

    public static Backend java() {
        return JavaBackend.INSTANCE;
    }

    public static Backend get(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Backend b : all()) {
            if (b.name().equals(n)) {
                if (!b.isAvailable()) {
                    throw new IllegalStateException("backend '" + n + "' is unavailable: " + b.unavailableReason());
                }
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known: "
                + all().stream().map(Backend::name).toList());
    }

    /** The backend for tensors on {@code device}: the {@code loss4j.backend} setting, else the best available. */
    public static Backend defaultFor(Device device) {
        String configured = Config.BACKEND.get();
        if (!configured.equalsIgnoreCase("auto")) {
            Backend b = get(configured);
            // a backend configured for the other kind of device (e.g. loss4j.backend=onednn) does not apply here
            if (b.device().type() == device.type()) return b;
        }
        // Host tensors: the Java backend. It was measured faster than oneDNN on nearly every workload (JMH,
        // benchmarks/results/2026-11-23-amd-epyc-combined.md: e.g. MSE over 1.6e7 elements 3.1 ms against 7.8 ms;
        // oneDNN wins nowhere by more than noise), so oneDNN serves only when asked for (loss4j.backend=onednn,
        // loss.on(...)), and automatic selection never loads native CPU libraries.
        if (device.isCpu()) return JavaBackend.INSTANCE;
        for (Backend b : all()) {
            // Device first: choosing a backend for one device never probes (loads) another's libraries.
            if (b.device().type() == device.type() && b != JavaBackend.INSTANCE && b.isAvailable()) {
                return b;
            }
        }
        throw new IllegalStateException("no available backend computes on " + device + "; backends: "
                + all().stream().map(b -> b.name() + (b.isAvailable() ? "" : " (unavailable: " + b.unavailableReason() + ")")).toList());
    }

    /** The SPI view of a backend; every available backend implements {@link Ops}. */
    public static Ops ops(Backend b) {
        if (b instanceof Ops o && b.isAvailable()) return o;
        throw new IllegalStateException("backend '" + b.name() + "' is unavailable: " + b.unavailableReason());
    }

    /** A backend that failed to load, kept so that {@code info} and errors can say why. */
    public record UnavailableBackend(String name, Device device, String unavailableReason) implements Backend {
        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public String description() {
            return "unavailable: " + unavailableReason;
        }
    }
}

package org.loss4j.internal.cuda;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import org.loss4j.Tensor;
import org.loss4j.internal.ops.OpGroup;

/**
 * The explicit fallback for an op group the CUDA backend has no kernels for: each call copies its CUDA tensor
 * arguments to the host, runs the Java backend's implementation, and copies every one of them back (outputs may be
 * any argument), so the result is the Java backend's, bit for bit. Tensors that share device memory (aliases such as
 * {@code gradIn == gradOut}) share one host copy. Correct, not fast: {@code explain} says "host-staged".
 */
final class HostStaged implements InvocationHandler {

    /** What {@code servedBy} says for a staged group. */
    static final String SERVED_BY = "java (host-staged: CUDA arguments copied to the host and results copied back;"
            + " no CUDA kernel for this op group yet)";

    private final Object java;
    private final String servedBy;

    private HostStaged(Object java, String servedBy) {
        this.java = java;
        this.servedBy = servedBy;
    }

    /** {@code javaImpl} behind an {@code iface} proxy that stages CUDA tensors through the host. */
    static <T extends OpGroup> T of(Class<T> iface, T javaImpl, String servedBy) {
        return iface.cast(Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface},
                new HostStaged(javaImpl, servedBy)));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String m = method.getName();
        if (m.equals("servedBy")) return servedBy;
        if (method.getDeclaringClass() == Object.class) {
            return switch (m) {
                case "toString" -> "host-staged " + java;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> method.invoke(java, args);
            };
        }
        Object[] hostArgs = args == null ? null : args.clone();
        Map<Long, Staged> staged = new LinkedHashMap<>();
        if (hostArgs != null) {
            for (int i = 0; i < hostArgs.length; i++) {
                if (hostArgs[i] instanceof Tensor t) {
                    hostArgs[i] = toHost(t, staged);
                } else if (hostArgs[i] instanceof Tensor[] ts) {
                    Tensor[] h = ts.clone();
                    for (int k = 0; k < h.length; k++) h[k] = toHost(h[k], staged);
                    hostArgs[i] = h;
                }
            }
        }
        Object result;
        try {
            result = method.invoke(java, hostArgs);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        for (Staged s : staged.values()) s.host.copyInto(s.device);
        return result;
    }

    private record Staged(Tensor device, Tensor host) {}

    private static Tensor toHost(Tensor t, Map<Long, Staged> staged) {
        if (t == null || !t.isCuda()) return t;
        Staged s = staged.get(t.deviceAddress());
        if (s != null && s.host.byteSize() >= t.byteSize() && s.device.dtype() == t.dtype()) {
            if (t.byteSize() > s.device.byteSize()) {
                throw new IllegalStateException("overlapping device tensors of different sizes in one op: " + t + ", " + s.device);
            }
            return s.host.reshape(t.shape());
        }
        Tensor h = t.toHost();
        staged.put(t.deviceAddress(), new Staged(t, h));
        return h;
    }
}

package org.loss4j.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code loss4j info}: Java, CPU, backends present and why any is missing. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the Java runtime, CPU and ISA, and every backend (available, or why not).")
final class InfoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        print(SystemInfo.collect(), "");
        return 0;
    }

    private static void print(Map<String, Object> m, String indent) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> sub) {
                System.out.println(indent + e.getKey() + ":");
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) sub;
                print(s, indent + "  ");
            } else {
                System.out.printf("%s%-16s %s%n", indent, e.getKey() + ":", e.getValue());
            }
        }
    }
}

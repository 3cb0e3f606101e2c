package org.loss4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** loss4j's command line: {@code info}, {@code verify}, {@code bench}. */
@Command(name = "loss4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch's loss functions for the JVM: check agreement with PyTorch, inspect the backends, time the losses.",
        subcommands = {InfoCommand.class, VerifyCommand.class, BenchCommand.class, GpuSuiteCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"loss4j " + (v == null ? "(development build)" : v)};
        }
    }
}

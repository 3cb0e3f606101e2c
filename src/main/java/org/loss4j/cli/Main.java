package org.loss4j.cli;

/** Placeholder; the command line is written next. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("loss4j");
    }
}

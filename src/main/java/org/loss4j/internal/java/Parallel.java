package org.loss4j.internal.java;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import org.loss4j.internal.Config;

/**
 * Splits one large element range over {@code loss4j.threads} threads: the caller computes the first chunk, a small
 * dedicated daemon {@link ForkJoinPool} the others. Calls below {@code loss4j.parallel.minElements} never split.
 * Partial sums are added in chunk order, so a result depends only on the thread count.
 */
final class Parallel {

    /** A piece of work over elements {@code [from, to)} returning a partial sum. */
    interface Range {
        double run(long from, long to);
    }

    private static final int THREADS = threads();
    private static final long MIN_ELEMENTS = minElements();
    /** Chunk boundaries stay multiples of this (cache lines, whole vectors). */
    private static final long ALIGN = 64;

    private Parallel() {}

    private static final class PoolHolder {
        static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS - 1), pool -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("loss4j-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    static int threads() {
        String v = Config.THREADS.get();
        int n = Runtime.getRuntime().availableProcessors();
        if (!v.isEmpty()) {
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(Config.THREADS.property() + " must be a positive integer, got '" + v + "'");
            }
            if (n < 1) throw new IllegalArgumentException(Config.THREADS.property() + " must be a positive integer, got " + n);
        }
        return n;
    }

    private static long minElements() {
        String v = Config.PARALLEL_MIN_ELEMENTS.get();
        try {
            return Math.max(1, Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Config.PARALLEL_MIN_ELEMENTS.property() + " must be a positive integer, got '" + v + "'");
        }
    }

    /** Threads in use, for {@code info}. */
    static String describe() {
        return THREADS + (THREADS == 1 ? " thread" : " threads") + " above " + MIN_ELEMENTS + " elements";
    }

    /** True if a call over {@code n} elements would be split. */
    static boolean splits(long n) {
        return THREADS > 1 && n >= MIN_ELEMENTS && !(Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == PoolHolder.POOL);
    }

    /** The sum of {@code r} over {@code [0, n)}, split over threads when {@code n} is large. */
    static double sum(long n, Range r) {
        if (!splits(n)) return r.run(0, n);
        int parts = (int) Math.min(THREADS, Math.max(1, n / (MIN_ELEMENTS / 2)));
        if (parts <= 1) return r.run(0, n);
        long chunk = ((n + parts - 1) / parts + ALIGN - 1) / ALIGN * ALIGN;
        @SuppressWarnings("unchecked")
        ForkJoinTask<Double>[] tasks = new ForkJoinTask[parts];
        for (int p = 1; p < parts; p++) {
            long from = Math.min(n, p * chunk);
            long to = Math.min(n, from + chunk);
            tasks[p] = PoolHolder.POOL.submit(() -> r.run(from, to));
        }
        double s = r.run(0, Math.min(n, chunk));
        for (int p = 1; p < parts; p++) s += tasks[p].join();
        return s;
    }
}

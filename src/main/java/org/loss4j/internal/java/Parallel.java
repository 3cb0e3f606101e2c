package org.loss4j.internal.java;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.loss4j.internal.Config;

/**
 * Splits one large element range over {@code loss4j.threads} threads: the caller computes the first chunk, a small
 * persistent pool of daemon workers ({@code loss4j-1}, ...) the others. Calls below
 * {@code loss4j.parallel.minElements} never split. Partial sums are added in chunk order, so a result depends only on
 * the thread count.
 *
 * <p>Nothing is allocated per call: the workers are started once, a call publishes its work in the pool's fields
 * (a generation counter and an index counter in one {@link AtomicLong}), and callers pass reusable task objects
 * rather than capturing lambdas. One call uses the pool at a time; a call that finds it busy (another thread's call,
 * or a call from a worker) runs the same chunks on its own thread in the same order, so its result is the same.
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

    /** Work over indices {@code 0..count-1}, each run exactly once on some thread of the pool or the caller. */
    interface Tasks {
        void run(int index);
    }

    private static final class PoolHolder {
        static final Pool POOL = new Pool(Math.max(0, THREADS - 1));
    }

    /** A worker of the pool: it waits for a generation it has not seen, then takes indices until none is left. */
    private static final class Worker extends Thread {
        private final Pool pool;

        Worker(Pool pool, int index) {
            super("loss4j-" + index);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long gen;
                while ((gen = pool.ctl.get() >>> 32) == seen) LockSupport.park(pool);
                seen = gen;
                pool.work(gen);
            }
        }
    }

    /** The persistent workers and the one job they share. */
    private static final class Pool {
        final Worker[] workers;
        final AtomicBoolean busy = new AtomicBoolean();
        /** generation (high 32 bits) and the next index to take (low 32 bits) of the current job. */
        final AtomicLong ctl = new AtomicLong();
        final AtomicInteger done = new AtomicInteger();
        volatile Thread caller;
        volatile Throwable failure;
        /** Indices of the current job; volatile: a worker that reads a newer job's count fails its CAS (closed ctl). */
        volatile int count;
        // the current job: written before its generation is published, stable until every index is done
        Tasks tasks;
        Range range;
        long n;
        long chunk;
        final double[] partial;

        Pool(int size) {
            workers = new Worker[size];
            partial = new double[size + 1];
            for (int i = 0; i < size; i++) {
                workers[i] = new Worker(this, i + 1);
                workers[i].start();
            }
        }

        /** Takes indices of generation {@code gen} until none is left (caller and workers alike). */
        void work(long gen) {
            while (true) {
                long v = ctl.get();
                if (v >>> 32 != gen) return;
                int i = (int) v;
                if (i < 0 || i >= count) return; // closed, or every index taken
                if (!ctl.compareAndSet(v, v + 1)) continue;
                // the job cannot complete before this index is done: its fields are stable here
                try {
                    runIndex(i);
                } catch (Throwable e) {
                    if (failure == null) failure = e;
                }
                if (done.incrementAndGet() == count) LockSupport.unpark(caller);
            }
        }

        void runIndex(int i) {
            if (tasks != null) {
                tasks.run(i);
            } else {
                long from = Math.min(n, i * chunk);
                partial[i] = range.run(from, Math.min(n, from + chunk));
            }
        }

        /** Runs the published job with the workers; the caller owns {@link #busy}. */
        void execute() {
            failure = null;
            done.set(0);
            caller = Thread.currentThread();
            long gen = (ctl.get() >>> 32) + 1;
            ctl.set(gen << 32); // publishes the job's fields
            for (Worker w : workers) LockSupport.unpark(w);
            work(gen);
            for (int spins = 0; done.get() < count; spins++) {
                if (spins < 1 << 12) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            ctl.set((gen << 32) | 0xFFFF_FFFFL); // closed: a late worker's CAS on this job fails
            caller = null;
            tasks = null;
            range = null;
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException r) throw r;
                if (f instanceof Error e) throw e;
                throw new IllegalStateException(f);
            }
        }
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
        return THREADS > 1 && n >= MIN_ELEMENTS && !(Thread.currentThread() instanceof Worker);
    }

    /** The sum of {@code r} over {@code [0, n)}, split over threads when {@code n} is large. */
    static double sum(long n, Range r) {
        if (!splits(n)) return r.run(0, n);
        int parts = (int) Math.min(THREADS, Math.max(1, n / (MIN_ELEMENTS / 2)));
        if (parts <= 1) return r.run(0, n);
        long chunk = ((n + parts - 1) / parts + ALIGN - 1) / ALIGN * ALIGN;
        Pool pool = PoolHolder.POOL;
        if (!pool.busy.compareAndSet(false, true)) {
            // the pool serves another call: the same chunks, added in the same order, on this thread
            double s = r.run(0, Math.min(n, chunk));
            for (int p = 1; p < parts; p++) {
                long from = Math.min(n, p * chunk);
                s += r.run(from, Math.min(n, from + chunk));
            }
            return s;
        }
        try {
            pool.count = parts;
            pool.range = r;
            pool.n = n;
            pool.chunk = chunk;
            pool.execute();
            double s = pool.partial[0];
            for (int p = 1; p < parts; p++) s += pool.partial[p];
            return s;
        } finally {
            pool.busy.set(false);
        }
    }

    /**
     * Runs {@code t} for every index in {@code [0, count)}, over the pool's threads when {@code parallel} (and the
     * pool is free), else in order on the caller's thread. Each index runs exactly once; which thread runs it is
     * unspecified, so a task's result must not depend on it.
     */
    static void forEach(int count, boolean parallel, Tasks t) {
        if (!parallel || count <= 1 || THREADS <= 1 || Thread.currentThread() instanceof Worker) {
            for (int i = 0; i < count; i++) t.run(i);
            return;
        }
        Pool pool = PoolHolder.POOL;
        if (!pool.busy.compareAndSet(false, true)) {
            for (int i = 0; i < count; i++) t.run(i);
            return;
        }
        try {
            pool.count = count;
            pool.tasks = t;
            pool.execute();
        } finally {
            pool.busy.set(false);
        }
    }
}

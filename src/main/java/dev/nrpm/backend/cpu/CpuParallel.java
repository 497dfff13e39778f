package dev.nrpm.backend.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits loops over all cores in fixed chunks, which the calling thread and pool threads claim in
 * turn (see {@link Claims}). Kernels never nest parallel loops, so a fixed pool of (cores - 1)
 * workers suffices.
 */
final class CpuParallel {
    static final int THREADS = Math.max(1, Integer.getInteger("nrpm.cpu.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS - 1),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setDaemon(true);
                t.setName("nrpm-cpu-" + t.getPoolIndex());
                return t;
            }, null, false);

    private CpuParallel() {
    }

    /** A body over the index range [from, to); chunk is 0..chunks-1, each run once (per-chunk results, scratch). */
    @FunctionalInterface
    interface RangeBody {
        void run(int chunk, int from, int to);
    }

    /** Number of chunks {@link #forRange} will use for n items of at least minChunk each. */
    static int chunks(int n, int minChunk) {
        return Math.max(1, Math.min(THREADS, n / Math.max(1, minChunk)));
    }

    /** Runs body over [0, n) in {@link #chunks}(n, minChunk) contiguous chunks, in parallel. */
    static void forRange(int n, int minChunk, RangeBody body) {
        int chunks = chunks(n, minChunk);
        if (chunks == 1) {
            body.run(0, 0, n);
            return;
        }
        Claims claims = new Claims(n, chunks, body);
        for (int c = 1; c < chunks; c++) {
            POOL.execute(claims::drain);
        }
        claims.drain();
        claims.awaitAll();
        Throwable failure = claims.failure.get();
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new RuntimeException(failure);
        }
    }

    /**
     * The chunks of one loop, each run once by whichever thread claims it first: the caller and
     * the pool threads woken for it claim in turn until none is left. A pool thread takes tens of
     * microseconds to wake here (more while oneDNN's OpenMP threads spin on the other core); had
     * it a chunk of its own, the caller would wait for it, and a small loop would run slower on
     * two threads than on one (bench/RESULTS.md "CPU: batch norm"). So a late pool thread finds
     * nothing left, and the caller waits only for chunks already running.
     */
    private static final class Claims {
        /**
         * How long the waiting caller spins before it parks, ns: a chunk in flight is often
         * shorter than a wake-up; bounded by time, since a spin's length differs between CPUs.
         */
        private static final long SPIN_NANOS = 50_000;
        final int n;
        final int chunks;
        final RangeBody body;
        final AtomicInteger next = new AtomicInteger();
        final CountDownLatch done;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Claims(int n, int chunks, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.done = new CountDownLatch(chunks);
        }

        void drain() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    body.run(c, start(n, chunks, c), start(n, chunks, c + 1));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        }

        void awaitAll() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (done.getCount() > 0 && System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
            }
            boolean interrupted = false;
            while (done.getCount() > 0) {
                try {
                    done.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int start(int n, int chunks, int chunk) {
        return (int) ((long) n * chunk / chunks);
    }
}

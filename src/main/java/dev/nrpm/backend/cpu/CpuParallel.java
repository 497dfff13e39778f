package dev.nrpm.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits loops over all cores: the calling thread takes the first chunk, pool threads the rest.
 * Kernels never nest parallel loops, so a fixed pool of (cores - 1) workers suffices.
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

    /** A body over the index range [from, to); chunk is 0..chunks-1 (for per-thread scratch). */
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
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
        for (int c = 1; c < chunks; c++) {
            final int chunk = c;
            tasks[c] = POOL.submit(() -> body.run(chunk, start(n, chunks, chunk), start(n, chunks, chunk + 1)));
        }
        Throwable failure = null;
        try {
            body.run(0, 0, start(n, chunks, 1));
        } catch (Throwable t) {
            failure = t;
        }
        for (int c = 1; c < chunks; c++) {
            try {
                tasks[c].join();
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            }
        }
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

    private static int start(int n, int chunks, int chunk) {
        return (int) ((long) n * chunk / chunks);
    }
}

package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Chunks claimed by the caller and pool threads: each run once, together covering the range. */
class CpuParallelTest {
    @Test
    void everyChunkRunsOnceAndTheChunksCoverTheRange() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 2000; trial++) {
            int n = rnd.nextInt(1, 5000);
            int minChunk = rnd.nextInt(1, 600);
            int chunks = CpuParallel.chunks(n, minChunk);
            AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
            AtomicIntegerArray covered = new AtomicIntegerArray(n);
            int[] first = new int[chunks];
            int[] end = new int[chunks];
            CpuParallel.forRange(n, minChunk, (chunk, from, to) -> {
                runs.incrementAndGet(chunk);
                first[chunk] = from;
                end[chunk] = to;
                for (int i = from; i < to; i++) {
                    covered.incrementAndGet(i);
                }
            });
            for (int c = 0; c < chunks; c++) {
                assertEquals(1, runs.get(c), "chunk " + c + " of " + chunks + " runs, n=" + n);
                assertEquals(c == 0 ? 0 : end[c - 1], first[c], "chunk " + c + " starts where the last ended");
            }
            assertEquals(n, end[chunks - 1]);
            for (int i = 0; i < n; i++) {
                assertEquals(1, covered.get(i), "index " + i + " of " + n);
            }
        }
    }

    @Test
    void aChunksFailureReachesTheCallerAfterTheOtherChunksRan() {
        int n = 1 << 16;
        int chunks = CpuParallel.chunks(n, 1);
        for (int failing = 0; failing < chunks; failing++) {
            int fail = failing;
            IllegalStateException thrown = new IllegalStateException("chunk " + fail);
            AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
            IllegalStateException got = assertThrows(IllegalStateException.class,
                    () -> CpuParallel.forRange(n, 1, (chunk, from, to) -> {
                        runs.incrementAndGet(chunk);
                        if (chunk == fail) {
                            throw thrown;
                        }
                    }));
            assertSame(thrown, got);
            for (int c = 0; c < chunks; c++) {
                assertEquals(1, runs.get(c), "chunk " + c + " runs despite chunk " + fail + "'s failure");
            }
        }
        assertThrows(AssertionError.class, () -> CpuParallel.forRange(n, 1, (chunk, from, to) -> {
            throw new AssertionError("an Error passes as it is");
        }));
    }
}

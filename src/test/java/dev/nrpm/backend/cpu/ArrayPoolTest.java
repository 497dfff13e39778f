package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.MemoryScope;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Released CPU buffers give their arrays to the next buffer of the same length on their thread. */
class ArrayPoolTest {
    private final CpuBackend cpu = new CpuBackend("cpu-pool-test", false);
    private static final int N = ArrayPool.MIN_LENGTH + 37;

    @Test
    void aScopesArraysServeTheNextScope() {
        float[] first;
        try (MemoryScope s = MemoryScope.open()) {
            Buffer b = cpu.allocateUninitialized(N);
            first = CpuBackend.a(b);
            java.util.Arrays.fill(first, 7f);
        }
        try (MemoryScope s = MemoryScope.open()) {
            Buffer again = cpu.allocateUninitialized(N);
            assertSame(first, CpuBackend.a(again));
            if (Boolean.getBoolean("nrpm.cpu.poisonUninitialized")) {
                assertTrue(Float.isNaN(CpuBackend.a(again)[N - 1]), "poisoned when the tests ask for it");
            }
        }
    }

    @Test
    void allocateZeroesARecycledArray() {
        Buffer b = cpu.allocate(N);
        float[] a = CpuBackend.a(b);
        java.util.Arrays.fill(a, -3f);
        b.close();
        Buffer z = cpu.allocate(N);
        assertSame(a, CpuBackend.a(z));
        for (float v : CpuBackend.a(z)) {
            assertEquals(0f, v);
        }
        z.close();
    }

    @Test
    void otherLengthsSmallArraysAndOtherThreadsGetTheirOwn() throws Exception {
        Buffer b = cpu.allocate(N);
        float[] a = CpuBackend.a(b);
        b.close();
        Buffer longer = cpu.allocate(N + 1);
        assertNotSame(a, CpuBackend.a(longer));
        float[] onOtherThread = CompletableFuture.supplyAsync(() -> CpuBackend.a(cpu.allocate(N))).get();
        assertNotSame(a, onOtherThread);
        assertSame(a, CpuBackend.a(cpu.allocate(N)));   // still there for this thread

        Buffer small = cpu.allocate(ArrayPool.MIN_LENGTH - 1);
        float[] s = CpuBackend.a(small);
        small.close();
        assertNotSame(s, CpuBackend.a(cpu.allocate(ArrayPool.MIN_LENGTH - 1)));
        longer.close();
    }

    /** The cap is shared by all threads; an ended thread's arrays stop counting against it. */
    @Test
    void anEndedThreadsShareIsGivenBack() throws Exception {
        long before = ArrayPool.heldFloats();
        Thread t = new Thread(() -> cpu.allocate(N).close());
        t.start();
        t.join();
        assertEquals(before + N, ArrayPool.heldFloats(), "the thread's released array is pooled");
        t = null;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ArrayPool.heldFloats() != before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(before, ArrayPool.heldFloats(), "the ended thread's share was not given back");
    }

    @Test
    void uploadsAreCopiesAndTheirArraysArePooledToo() {
        float[] host = new float[N];
        host[3] = 1f;
        Buffer b = cpu.upload(host);
        assertNotSame(host, CpuBackend.a(b));
        float[] a = CpuBackend.a(b);
        b.close();
        assertSame(a, CpuBackend.a(cpu.allocateUninitialized(N)));
        assertEquals(1f, host[3], "the caller's array is never handed out");
    }
}

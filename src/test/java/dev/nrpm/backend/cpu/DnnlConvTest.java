package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's convolutions as the CPU backend calls them, against the reference backend. Runs in both
 * surefire JVMs: the default one, where oneDNN takes the best code this CPU has (its JIT direct
 * convolutions), and the fake-driver one, where DNNL_MAX_CPU_ISA=SSE41 makes it take the code of a
 * CPU without AVX, so the fallback a user without AVX2 gets is tested too.
 */
class DnnlConvTest {
    private final TestRandom rnd = new TestRandom();

    @Test
    void loads() {
        assertNull(DnnlConv.unavailableReason());
    }

    @Test
    void awkwardShapesMatchTheReference() {
        ConvGeometry[] shapes = {
            new ConvGeometry(3, 3, 16, 16, 8, 3, 3, 1, 1, 1, 1),      // ResNet stem
            new ConvGeometry(2, 8, 9, 9, 16, 3, 3, 2, 2, 1, 1),       // 3x3 stride 2, odd map
            new ConvGeometry(2, 8, 9, 9, 16, 1, 1, 2, 2, 0, 0),       // 1x1 stride-2 shortcut
            new ConvGeometry(3, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0),      // LeNet conv1: one input channel
            new ConvGeometry(2, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0),     // LeNet conv2
            new ConvGeometry(2, 3, 9, 7, 4, 3, 3, 2, 1, 1, 1),        // stride 2 in rows only
            new ConvGeometry(2, 2, 6, 6, 3, 3, 5, 1, 1, 1, 1),        // kernel wider than its padding covers
            new ConvGeometry(1, 5, 1, 1, 3, 1, 1, 1, 1, 0, 0),        // a single pixel
            new ConvGeometry(2, 4, 8, 8, 5, 3, 3, 2, 2, 1, 1),        // stride 2 on an even map: far side unpadded
            new ConvGeometry(rnd.between(1, 4), rnd.between(1, 20), rnd.between(3, 13), rnd.between(3, 13),
                    rnd.between(1, 40), 3, 3, rnd.between(1, 2), rnd.between(1, 2), 1, 1),
        };
        Backend ref = TestBackends.reference();
        for (ConvGeometry g : shapes) {
            check(ref, g, false);
            check(ref, g, true);
        }
    }

    /** More shapes than a thread keeps plans for: the evicted ones are released and rebuilt. */
    @Test
    void planCacheEvictsAndRebuilds() {
        Backend ref = TestBackends.reference();
        for (int round = 0; round < 2; round++) {
            for (int b = 1; b <= 60; b++) {
                ConvGeometry g = new ConvGeometry(b, 2, 5, 4, 3, 3, 3, 1, 1, 1, 1);
                float[] x = rnd.normal((int) g.inputSize(), 1);
                float[] w = rnd.normal((int) g.weightSize(), 1);
                float[] y = new float[(int) g.outputSize()];
                DnnlConv.forward(g, x, w, null, y);
                if (b % 17 == 0) {
                    assertClose(forwardOn(ref, g, x, w, null), y, "forward after eviction " + g);
                }
            }
        }
    }

    /** Each thread has its own plans and staging memory; concurrent calls stay correct. */
    @Test
    void threadsDoNotShareStagingMemory() throws Exception {
        Backend ref = TestBackends.reference();
        ConvGeometry g = new ConvGeometry(4, 8, 12, 12, 8, 3, 3, 1, 1, 1, 1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                float[] x = rnd.normal((int) g.inputSize(), 1);
                float[] w = rnd.normal((int) g.weightSize(), 1);
                float[] bias = rnd.normal(g.outC(), 1);
                float[] want = forwardOn(ref, g, x, w, bias);
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        float[] y = new float[(int) g.outputSize()];
                        DnnlConv.forward(g, x, w, bias, y);
                        assertClose(want, y, "forward on a pool thread");
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A thread's primitives and native memory are released once it has ended. */
    @Test
    void anEndedThreadsStateIsReleased() throws Exception {
        ConvGeometry g = new ConvGeometry(2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1);
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 1);
        Thread t = new Thread(() -> {
            DnnlConv.forward(g, x, w, null, new float[(int) g.outputSize()]);
            DnnlConv.backward(g, x, w, new float[(int) g.outputSize()], new float[(int) g.inputSize()], false,
                    new float[(int) g.weightSize()], new float[g.outC()]);
        });
        t.start();
        t.join();
        long id = t.getId();
        t = null;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!DnnlConv.RELEASED_FOR_THREADS.contains(id) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(DnnlConv.RELEASED_FOR_THREADS.contains(id), "the ended thread's oneDNN state was not released");
        // and this thread's own state still works
        assertClose(forwardOn(TestBackends.reference(), g, x, w, null), forwardHere(g, x, w), "forward after a release");
    }

    private static float[] forwardHere(ConvGeometry g, float[] x, float[] w) {
        float[] y = new float[(int) g.outputSize()];
        DnnlConv.forward(g, x, w, null, y);
        return y;
    }

    /**
     * Where oneDNN may use AVX2 it takes its JIT direct convolutions for the ResNet shapes (not the
     * gemm or reference fallbacks the plain NCHW layout gets: the reason for the reorders); under
     * DNNL_MAX_CPU_ISA=SSE41 nothing uses AVX.
     */
    @Test
    void implementationFollowsTheInstructionSet() {
        String cap = System.getenv("DNNL_MAX_CPU_ISA");
        for (ConvGeometry g : new ConvGeometry[] {
            new ConvGeometry(8, 3, 32, 32, 8, 3, 3, 1, 1, 1, 1),
            new ConvGeometry(8, 16, 16, 16, 32, 3, 3, 2, 2, 1, 1)}) {
            String impl = DnnlConv.implementations(g);
            if (cap != null && cap.equalsIgnoreCase("SSE41")) {
                assertFalse(impl.contains("avx"), impl);
            } else {
                assumeTrue(cap == null && cpuFlag("avx2"), "oneDNN may not use AVX2 here");
                assertTrue(impl.startsWith("forward jit:"), g + ": " + impl);
            }
        }
    }

    /**
     * The backward primitives go to NHWC exactly where x's channels are not a multiple of the vector
     * width (the weights' only from 4 channels), and then oneDNN runs JIT code there, not its
     * reference loops; awkwardShapesMatchTheReference checks their results (its 6- and 8-channel
     * shapes take this path with AVX2 or AVX-512).
     */
    @Test
    void backwardsGoToNhwcWhereChannelsAreNotAVectorMultiple() {
        ConvGeometry six = new ConvGeometry(2, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0);
        ConvGeometry three = new ConvGeometry(2, 3, 16, 16, 8, 3, 3, 1, 1, 1, 1);
        ConvGeometry sixteen = new ConvGeometry(2, 16, 8, 8, 32, 3, 3, 2, 2, 1, 1);
        for (int vector : new int[] {8, 16}) {
            assertTrue(DnnlConv.backwardOnNhwc(six, false, vector));
            assertTrue(DnnlConv.backwardOnNhwc(six, true, vector));
            assertTrue(DnnlConv.backwardOnNhwc(three, false, vector));
            assertFalse(DnnlConv.backwardOnNhwc(three, true, vector));
            assertFalse(DnnlConv.backwardOnNhwc(sixteen, false, vector));
            assertFalse(DnnlConv.backwardOnNhwc(sixteen, true, vector));
            assertFalse(DnnlConv.backwardOnNhwc(six, false, 0));
        }
        assertTrue(DnnlConv.backwardOnNhwc(new ConvGeometry(2, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1), true, 16));
        assertFalse(DnnlConv.backwardOnNhwc(new ConvGeometry(2, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1), true, 8));

        assumeTrue(DnnlConv.vectorFloats() > 0, "oneDNN uses neither AVX2 nor AVX-512 here: no layout rule");
        String impl = DnnlConv.implementations(six);
        assertTrue(impl.matches("forward jit.*, backward data jit\\S* on NHWC, backward weights jit\\S* on NHWC"), impl);
        impl = DnnlConv.implementations(sixteen);
        assertFalse(impl.contains("NHWC"), impl);
    }

    private void check(Backend ref, ConvGeometry g, boolean accumulateGx) {
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 1);
        float[] gy = rnd.normal((int) g.outputSize(), 1);
        float[] gx0 = rnd.normal((int) g.inputSize(), 1);
        float[] gw0 = rnd.normal((int) g.weightSize(), 1);
        float[] bias = rnd.normal(g.outC(), 1);
        float[] gb0 = rnd.normal(g.outC(), 1);

        for (float[] b : new float[][] {bias, null}) {
            float[] y = rnd.normal((int) g.outputSize(), 1);     // written over
            DnnlConv.forward(g, x, w, b, y);
            assertClose(forwardOn(ref, g, x, w, b), y, "forward, bias " + (b != null) + " " + g);
        }

        float[] gx = gx0.clone();
        float[] gw = gw0.clone();
        float[] gb = gb0.clone();
        DnnlConv.backward(g, x, w, gy, gx, accumulateGx, gw, gb);
        try (Buffer xb = ref.upload(x); Buffer wb = ref.upload(w); Buffer gyb = ref.upload(gy);
             Buffer gxb = ref.upload(gx0); Buffer gwb = ref.upload(gw0); Buffer gbb = ref.upload(gb0)) {
            ref.conv2dBackward(g, xb, wb, gyb, gxb, accumulateGx, gwb, gbb);
            assertClose(ref.download(gxb), gx, "input gradient, accumulate=" + accumulateGx + " " + g);
            assertClose(ref.download(gwb), gw, "weight gradient " + g);
            assertClose(ref.download(gbb), gb, "bias gradient " + g);
        }
        // each gradient alone, and the weights' without the bias's
        float[] gxOnly = gx0.clone();
        DnnlConv.backward(g, x, w, gy, gxOnly, accumulateGx, null, null);
        assertClose(gx, gxOnly, "input gradient alone " + g);
        float[] gwOnly = gw0.clone();
        DnnlConv.backward(g, x, w, gy, null, false, gwOnly, null);
        assertClose(gw, gwOnly, "weight gradient alone " + g);
    }

    private static float[] forwardOn(Backend be, ConvGeometry g, float[] x, float[] w, float[] b) {
        try (Buffer xb = be.upload(x); Buffer wb = be.upload(w); Buffer bb = b == null ? null : be.upload(b);
             Buffer y = be.allocate(g.outputSize())) {
            be.conv2d(g, xb, wb, bb, y);
            return be.download(y);
        }
    }

    private void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), what + " at " + i + " " + rnd.tag());
        }
    }

    private static boolean cpuFlag(String flag) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" " + flag + " ");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}

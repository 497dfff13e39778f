package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Backend;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.Approx;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kernel launches while another thread keeps the garbage collector busy: whatever a launch hands
 * the driver (argument values, their addresses) must stay alive until the call returns. The
 * emulator once kept its argument values only in a local array that compiled code may drop early:
 * under this load the kernels then read freed memory and the JVM crashed (SIGSEGV).
 */
class LaunchUnderGcTest {
    private final TestRandom rnd = new TestRandom();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cuda-emu", "cuda"})
    void launchesSurviveCollections(String name) throws InterruptedException {
        Backend fast = TestBackends.require(name);
        Backend ref = TestBackends.reference();
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                byte[][] junk = new byte[64][];
                for (int i = 0; i < junk.length; i++) {
                    junk[i] = new byte[1 << 16];
                }
            }
        }, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        try {
            NrpmSpec spec = NrpmSpec.l1(1, 1e-3f);
            for (int i = 0; i < 200; i++) {
                float[] x = rnd.normal(2 * 3 * 6 * 6, 1);
                float[] w = rnd.normal(4 * 3 * 3 * 3, 0.3);
                float[] got = Ops.nrpmConv2d(spec, Tensor.of(fast, x, 2, 3, 6, 6), Tensor.of(fast, w, 4, 3, 3, 3), null,
                        Tensor.scalar(fast, 0.5f), 1, 1).toFloatArray();
                float[] want = Ops.nrpmConv2d(spec, Tensor.of(ref, x, 2, 3, 6, 6), Tensor.of(ref, w, 4, 3, 3, 3), null,
                        Tensor.scalar(ref, 0.5f), 1, 1).toFloatArray();
                Approx.assertClose(name + " launch " + i + " " + rnd.tag(), want, got, 1e-4, 1e-3);
            }
        } finally {
            collector.interrupt();
            collector.join();
        }
    }
}

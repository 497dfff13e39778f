package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native mirrors of CPU buffers ({@link CpuBuffer}): whichever side oneDNN or Java wrote last is
 * what every later reader sees, through each order of convolutions and Java ops a network makes,
 * against the float64 reference backend on fresh random shapes and values.
 */
class NativeMirrorTest {
    private final TestRandom rnd = new TestRandom();
    private final CpuBackend cpu = new CpuBackend("cpu-mirror-test", true);
    private final Backend ref = TestBackends.reference();

    @BeforeAll
    static void needsOneDnn() {
        assumeTrue(DnnlConv.unavailableReason() == null, "oneDNN does not load here");
    }

    /** A square, channel-preserving 3x3 convolution, so that outputs can feed the next one. */
    private ConvGeometry shape() {
        int c = rnd.between(2, 12);
        int hw = rnd.between(3, 11);
        return new ConvGeometry(rnd.between(1, 4), c, hw, hw, c, 3, 3, 1, 1, 1, 1);
    }

    @Test
    void aConvolutionsOutputStaysNativeUntilJavaReadsIt() {
        ConvGeometry g = shape();
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w1 = rnd.normal((int) g.weightSize(), 0.3);
        float[] w2 = rnd.normal((int) g.weightSize(), 0.3);
        try (Buffer xb = cpu.upload(x); Buffer w1b = cpu.upload(w1); Buffer w2b = cpu.upload(w2);
             Buffer y = cpu.allocateUninitialized(g.outputSize()); Buffer z = cpu.allocateUninitialized(g.outputSize())) {
            cpu.conv2d(g, xb, w1b, null, y);
            assertTrue(((CpuBuffer) y).heldNatively(), "the output went to the mirror");
            cpu.conv2d(g, y, w2b, null, z);            // straight from the mirror
            float[] want1 = refConv(g, x, w1);
            assertClose(refConv(g, want1, w2), cpu.download(z), "conv of a conv " + g);
            assertClose(want1, cpu.download(y), "the first output, read by Java " + g);
            assertFalse(((CpuBuffer) y).heldNatively(), "a read brings the array up to date");
        }
    }

    @Test
    void javaWritesAfterAConvolutionReachTheNextOne() {
        ConvGeometry g = shape();
        int n = (int) g.inputSize();
        float[] x = rnd.normal(n, 1);
        float[] d = rnd.normal(n, 1);
        float[] w = rnd.normal((int) g.weightSize(), 0.3);
        try (Buffer xb = cpu.upload(x); Buffer db = cpu.upload(d); Buffer wb = cpu.upload(w);
             Buffer y = cpu.allocateUninitialized(g.outputSize()); Buffer z = cpu.allocateUninitialized(g.outputSize())) {
            cpu.conv2d(g, xb, wb, null, y);            // x now has an up-to-date mirror
            cpu.axpby(2f, db, 1f, xb, n);             // x += 2 d, in Java
            float[] x2 = new float[n];
            for (int i = 0; i < n; i++) {
                x2[i] = x[i] + 2 * d[i];
            }
            cpu.conv2d(g, xb, wb, null, y);
            assertClose(refConv(g, x2, w), cpu.download(y), "conv after a Java write to its input " + g);

            cpu.conv2d(g, xb, wb, null, y);            // y held natively
            cpu.map(UnaryOp.RELU, y, y, g.outputSize());   // in place: reads the mirror's values, writes the array
            cpu.conv2d(g, y, wb, null, z);
            float[] relu = refConv(g, x2, w);
            for (int i = 0; i < relu.length; i++) {
                relu[i] = Math.max(0, relu[i]);
            }
            assertClose(refConv(g, relu, w), cpu.download(z), "conv after an in-place Java op on a native output " + g);
        }
    }

    /** Java reads between a forward and its backward (a residual add reads the block input) keep x's mirror. */
    @Test
    void readsBetweenForwardAndBackwardKeepTheMirrorAndTheValues() {
        ConvGeometry g = shape();
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 0.3);
        float[] gy = rnd.normal((int) g.outputSize(), 1);
        float[] gw0 = rnd.normal((int) g.weightSize(), 1);
        float[] gx0 = rnd.normal((int) g.inputSize(), 1);
        try (Buffer xb = cpu.upload(x); Buffer wb = cpu.upload(w); Buffer gyb = cpu.upload(gy);
             Buffer y = cpu.allocateUninitialized(g.outputSize()); Buffer sum = cpu.allocateUninitialized(g.outputSize());
             Buffer gx = cpu.allocateUninitialized(g.inputSize()); Buffer gw = cpu.upload(gw0)) {
            cpu.conv2d(g, xb, wb, null, y);
            cpu.zip(BinaryOp.ADD, y, xb, sum, g.outputSize());        // reads y (native) and x
            assertTrue(((CpuBuffer) xb).mirrorUpToDate(), "a read keeps x's mirror");
            cpu.conv2dBackward(g, xb, wb, gyb, gx, false, gw, null);
            assertTrue(((CpuBuffer) gx).heldNatively(), "the input gradient went to the mirror");
            // the reference
            float[] wantY = refConv(g, x, w);
            float[] wantSum = new float[wantY.length];
            for (int i = 0; i < wantY.length; i++) {
                wantSum[i] = wantY[i] + x[i];
            }
            assertClose(wantSum, cpu.download(sum), "y + x " + g);
            float[][] want = refBackward(g, x, w, gy, gx0, false, gw0);
            assertClose(want[1], cpu.download(gw), "weight gradient " + g);
            assertClose(want[0], cpu.download(gx), "input gradient " + g);

            // a second backward adds into the (now Java-side) input gradient, a third into a native one
            cpu.conv2dBackward(g, xb, wb, gyb, gx, true, null, null);
            float[] twice = want[0].clone();
            for (int i = 0; i < twice.length; i++) {
                twice[i] *= 2;
            }
            assertClose(twice, cpu.download(gx), "input gradient added into " + g);
            cpu.conv2dBackward(g, xb, wb, gyb, gx, false, null, null);
            cpu.conv2dBackward(g, xb, wb, gyb, gx, true, null, null);
            assertClose(twice, cpu.download(gx), "input gradient added into a native one " + g);
        }
    }

    /** A mirror goes back to the pool with its buffer and serves the next buffer of that length. */
    @Test
    void releasedMirrorsAreReused() {
        ConvGeometry g = new ConvGeometry(2, 5, 7, 7, 5, 3, 3, 1, 1, 1, 1);
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 0.3);
        float[] want = refConv(g, x, w);
        try (Buffer xb = cpu.upload(x); Buffer wb = cpu.upload(w)) {
            for (int i = 0; i < 3; i++) {
                long before = NativePool.heldFloats();
                Buffer y = cpu.allocateUninitialized(g.outputSize());
                cpu.conv2d(g, xb, wb, null, y);
                assertClose(want, cpu.download(y), "round " + i);
                y.close();
                assertTrue(NativePool.heldFloats() >= g.outputSize(), "the mirror went back to the pool");
                if (i > 0) {
                    assertEquals(before, NativePool.heldFloats(), "the pooled mirror was taken and given back");
                }
            }
        }
    }

    /** A buffer written natively on one thread reads right on another (parallel evaluation hands batches on). */
    @Test
    void anotherThreadReadsANativeOutput() throws Exception {
        ConvGeometry g = shape();
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 0.3);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Buffer xb = cpu.upload(x); Buffer wb = cpu.upload(w)) {
            Buffer y = pool.submit(() -> {
                Buffer out = cpu.allocateUninitialized(g.outputSize());
                cpu.conv2d(g, xb, wb, null, out);
                return out;
            }).get();
            assertClose(refConv(g, x, w), cpu.download(y), "read on another thread " + g);
            y.close();
        } finally {
            pool.shutdownNow();
        }
    }

    private float[] refConv(ConvGeometry g, float[] x, float[] w) {
        try (Buffer xb = ref.upload(x); Buffer wb = ref.upload(w); Buffer y = ref.allocate(g.outputSize())) {
            ref.conv2d(g, xb, wb, null, y);
            return ref.download(y);
        }
    }

    /** {gx, gw} from the reference, gx added into gx0 where accumulate, gw always added into gw0. */
    private float[][] refBackward(ConvGeometry g, float[] x, float[] w, float[] gy, float[] gx0, boolean accumulate,
                                  float[] gw0) {
        try (Buffer xb = ref.upload(x); Buffer wb = ref.upload(w); Buffer gyb = ref.upload(gy);
             Buffer gxb = ref.upload(gx0); Buffer gwb = ref.upload(gw0)) {
            ref.conv2dBackward(g, xb, wb, gyb, gxb, accumulate, gwb, null);
            return new float[][] {ref.download(gxb), ref.download(gwb)};
        }
    }

    private void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), what + " at " + i + " " + rnd.tag());
        }
    }
}

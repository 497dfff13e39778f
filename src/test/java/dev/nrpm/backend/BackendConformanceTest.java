package dev.nrpm.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.error.NonFiniteException;
import dev.nrpm.testing.Approx;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every primitive of a fast backend against the float64 reference, on fresh random shapes
 * (1, primes, odd sizes, stride 2, padding) and values. Outputs of forward primitives are poisoned
 * with NaN first, so an element the backend forgets to write fails the comparison; gradient outputs
 * start from random values, so a backend that overwrites instead of adding fails too.
 * Backends that cannot run here (cuda without a GPU) are skipped with the reason.
 */
class BackendConformanceTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    static Stream<String> backends() {
        return TestBackends.selected();
    }

    /** For semantics the reference must share too (it is the oracle of every other test). */
    static Stream<String> backendsAndReference() {
        return Stream.concat(Stream.of("reference"), TestBackends.selected());
    }

    private final TestRandom rnd = new TestRandom();

    /** The same values on both backends. */
    private final class Pair {
        final Backend fast;
        final Backend ref = TestBackends.reference();
        final float[] values;
        final Buffer f;
        final Buffer r;

        Pair(Backend fast, float[] values) {
            this.fast = fast;
            this.values = values;
            this.f = fast.upload(values);
            this.r = ref.upload(values);
        }

        void check(String what, double atol, double rtol) {
            Approx.assertClose(what + " on " + fast.name() + " (" + rnd.tag() + ")", ref.downloadDouble(r),
                    Approx.toDouble(fast.download(f)), atol, rtol);
        }

        void check(String what) {
            check(what, ATOL, RTOL);
        }
    }

    private Pair random(Backend fast, int n, double scale) {
        return new Pair(fast, rnd.normal(n, scale));
    }

    private Pair poisoned(Backend fast, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, Float.NaN);
        return new Pair(fast, v);
    }

    /**
     * A gradient output: random values to add into, or NaN poison when the primitive overwrites it
     * (accumulate false), so a value read or an element left unwritten fails the comparison.
     */
    private Pair gradOut(Backend fast, int n, boolean accumulate) {
        return accumulate ? random(fast, n, 1) : poisoned(fast, n);
    }

    /** Runs the same primitive call on both backends. */
    private static void both(Pair any, Consumer<Backend> call) {
        call.accept(any.fast);
        call.accept(any.ref);
    }

    private static Buffer on(Backend b, Pair p) {
        return p == null ? null : (b == p.ref ? p.r : p.f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gemmEveryTransposeAndBeta(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 20; trial++) {
            boolean large = trial >= 12 && trial < 16;   // past the CPU's small-product path (SmallGemm): the native one
            boolean fewColumns = trial >= 16;            // a classifier's shape: SmallGemm works on C^T
            int m = large ? rnd.between(60, 90) : fewColumns ? rnd.between(32, 150) : rnd.between(1, 37);
            int n = large ? rnd.between(50, 70) : fewColumns ? rnd.between(1, 15) : rnd.between(1, 41);
            int k = large ? rnd.between(45, 60) : fewColumns ? rnd.between(1, 50) : rnd.between(1, 43);
            boolean ta = trial % 2 == 1;
            boolean tb = trial / 2 % 2 == 1;
            float alpha = (float) rnd.uniform(-2, 2);
            float beta = trial < 4 || trial == 16 || trial == 19 ? 0f : (float) rnd.uniform(-1, 1);
            Pair a = random(fast, m * k, 1);
            Pair b = random(fast, k * n, 1);
            Pair c = beta == 0 ? poisoned(fast, m * n) : random(fast, m * n, 1);
            both(a, be -> be.gemm(ta, tb, m, n, k, alpha, on(be, a), on(be, b), beta, on(be, c)));
            c.check("gemm " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " beta=" + beta, 1e-4, 1e-4);
        }
    }

    private ConvGeometry randomConv() {
        int k = rnd.between(1, 5);
        int pad = rnd.between(0, Math.min(2, k - 1 + 1));
        int h = rnd.between(Math.max(1, k - 2 * pad), 11);
        int w = rnd.between(Math.max(1, k - 2 * pad), 11);
        return new ConvGeometry(rnd.between(1, 3), rnd.between(1, 5), h, w, rnd.between(1, 7), k, k,
                rnd.between(1, 2), rnd.between(1, 2), pad, pad);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void conv2dForwardAndBackward(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 8; trial++) {
            int mode = trial % 3;          // both, input only, weight only
            boolean bias = trial % 2 == 0;  // with one, its gradient is asked for too
            convForwardAndBackward(fast, randomConv(), mode != 2, mode != 1, bias,
                    "(mode " + mode + ", bias " + bias + ")");
        }
    }

    /**
     * conv2d (with a bias or without) into a poisoned output, then conv2dBackward adding into random
     * gradients (gx and gw each requested or not, gb with the bias; gx, at random, written over a
     * poisoned buffer instead), all against the reference.
     */
    private void convForwardAndBackward(Backend fast, ConvGeometry g, boolean wantGx, boolean wantGw, boolean bias,
                                        String tag) {
        Pair x = random(fast, (int) g.inputSize(), 1);
        Pair w = random(fast, (int) g.weightSize(), 1);
        Pair b = bias ? random(fast, g.outC(), 1) : null;
        Pair y = poisoned(fast, (int) g.outputSize());
        both(x, be -> be.conv2d(g, on(be, x), on(be, w), on(be, b), on(be, y)));
        y.check("conv2d " + tag + " " + g, 1e-4, 1e-4);

        Pair gy = random(fast, (int) g.outputSize(), 1);
        boolean acc = !wantGx || rnd.between(0, 1) == 1;
        Pair gx = gradOut(fast, (int) g.inputSize(), acc);
        Pair gw = random(fast, (int) g.weightSize(), 1);
        Pair gb = random(fast, g.outC(), 1);
        Pair gxOrNull = wantGx ? gx : null;
        Pair gwOrNull = wantGw ? gw : null;
        Pair gbOrNull = bias ? gb : null;
        both(x, be -> be.conv2dBackward(g, on(be, x), on(be, w), on(be, gy), on(be, gxOrNull), acc,
                on(be, gwOrNull), on(be, gbOrNull)));
        gx.check("conv2d backward input " + tag + " accumulate=" + acc + " " + g, 1e-4, 1e-4);
        gw.check("conv2d backward weight " + tag + " " + g, 1e-4, 1e-4);
        gb.check("conv2d backward bias " + tag + " " + g, 1e-4, 1e-4);
    }

    /**
     * "Same" convolutions (stride 1, outW == inW), which the CPU backend moves as whole flat planes
     * with the wrapped padding columns fixed up, next to near misses that take the per-row path:
     * rows and columns of 1, kernel rows taller than the image, uneven row padding, stride 2 in one
     * direction only, and a kernel wider than its padding covers; and one layer with more output
     * channels than the CPU's per-image forward takes (it runs im2col + SGEMM).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void conv2dSameAndNearlySame(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 6; trial++) {
            int kw = 2 * rnd.between(0, 2) + 1;
            int kh = rnd.between(1, 5);
            int h = trial == 0 ? 1 : rnd.between(1, 12);
            int w = trial == 1 ? 1 : rnd.between(1, 12);
            int padH = rnd.between(Math.max(0, (kh - h + 1) / 2), kh - 1);
            ConvGeometry same = new ConvGeometry(rnd.between(1, 3), rnd.between(1, 4), h, w, rnd.between(1, 6),
                    kh, kw, 1, 1, padH, (kw - 1) / 2);
            convForwardAndBackward(fast, same, true, trial % 2 == 0, trial % 3 == 0, "(same)");
        }
        ConvGeometry[] nearMisses = {
            new ConvGeometry(2, 3, 9, 7, 4, 3, 3, 2, 1, 1, 1),     // stride 2 in rows only
            new ConvGeometry(2, 3, 7, 9, 4, 3, 3, 1, 2, 1, 1),     // stride 2 in columns only
            new ConvGeometry(2, 2, 6, 6, 3, 3, 5, 1, 1, 1, 1),     // kernel 5 wide, padding 1: outW < inW
            new ConvGeometry(2, 3, 8, 8, rnd.between(17, 40), 3, 3, 1, 1, 1, 1),   // wider than CPU's FewChannelConv
        };
        for (ConvGeometry g : nearMisses) {
            convForwardAndBackward(fast, g, true, true, true, "(near miss)");
        }
    }

    /**
     * The convolutions the models run, small: ResNet-18's stem (3 channels), its 3x3 stride-2
     * downsampling and 1x1 stride-2 shortcut on an odd-sized map, LeNet's 5x5 convolutions (1 input
     * channel, no padding), a 1x1 stride-1 layer and a 5x5 "same" one; every gradient request.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void conv2dModelShapes(String name) {
        Backend fast = TestBackends.require(name);
        ConvGeometry[] shapes = {
            new ConvGeometry(3, 3, 16, 16, 8, 3, 3, 1, 1, 1, 1),     // ResNet stem
            new ConvGeometry(2, 8, 9, 9, 16, 3, 3, 2, 2, 1, 1),      // 3x3 stride 2, odd map
            new ConvGeometry(2, 8, 9, 9, 16, 1, 1, 2, 2, 0, 0),      // 1x1 stride-2 shortcut
            new ConvGeometry(3, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0),     // LeNet conv1
            new ConvGeometry(3, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0),    // LeNet conv2
            new ConvGeometry(2, 5, 7, 6, 3, 1, 1, 1, 1, 0, 0),       // 1x1
            new ConvGeometry(2, 4, 10, 11, 5, 5, 5, 1, 1, 2, 2),     // 5x5 same
        };
        for (int trial = 0; trial < shapes.length; trial++) {
            int mode = trial % 3;          // both, input only, weight only
            convForwardAndBackward(fast, shapes[trial], mode != 2, mode != 1, trial % 2 == 1,
                    "(model shape, mode " + mode + ")");
        }
    }

    /**
     * Weight gradients with a long reduction (batch x pixels) in a grid of one or two tiles: the cuda
     * backends split it over gridDim.z (split-K: each slice's share in a scratch, summed in slice
     * order by sum_slices), e.g. 8 slices on the emulator's 4 SMs for the first shape. The result
     * must still be gw + the whole sum, in every element, with or without gx.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void conv2dBackwardLongReduction(String name) {
        Backend fast = TestBackends.require(name);
        ConvGeometry[] shapes = {
            new ConvGeometry(6, 1, 24, 24, 5, 3, 3, 1, 1, 1, 1),                    // R = 3456, 1 x 1 tiles
            new ConvGeometry(rnd.between(3, 7), 3, rnd.between(12, 20), rnd.between(12, 20), rnd.between(1, 70),
                    rnd.between(1, 5), 3, 2, 1, 1, 1),                               // stride 2, up to 2 tiles of outC
            new ConvGeometry(rnd.between(2, 5), 9, 13, 11, rnd.between(1, 9), 3, 3, 1, 1, 0, 0), // K = 81: 2 tiles
        };
        for (int trial = 0; trial < shapes.length; trial++) {
            convForwardAndBackward(fast, shapes[trial], trial != 0, true, trial == 0, "(long reduction)");
        }
    }

    /**
     * ReLU keeps NaN (Math.max, as PyTorch), on its own, in the residual join and fused into batch
     * norm: a diverging run must reach the loss and the divergence checks as NaN on every backend,
     * not as zeros on some. Infinities and signed zeros as Math.max has them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendsAndReference")
    void reluKeepsNaN(String name) {
        Backend fast = name.equals("reference") ? TestBackends.reference() : TestBackends.require(name);
        float[] x = {Float.NaN, -0f, 0f, -1f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3f};
        float[] want = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = Math.max(x[i], 0f);
        }
        Buffer in = fast.upload(x);
        Buffer zero = fast.upload(new float[x.length]);
        Buffer y = fast.allocate(x.length);
        fast.map(UnaryOp.RELU, in, y, x.length);
        assertSameFloats("map RELU on " + name, want, fast.download(y));
        fast.zip(BinaryOp.ADD_RELU, in, zero, y, x.length);
        assertSameFloats("zip ADD_RELU on " + name, want, fast.download(y));
        // batch norm with relu, (n, c, hw) = (2, 2, 2): a NaN in channel 0 makes that channel NaN
        float[] bx = {1f, Float.NaN, -1f, 2f, 3f, 4f, 0.5f, -2f};
        Buffer out = fast.allocate(8);
        fast.batchNormTrain(2, 2, 2, fast.upload(bx), fast.upload(new float[] {1f, 1f}), fast.upload(new float[2]),
                fast.upload(new float[2]), fast.upload(new float[] {1f, 1f}), 0.1f, 1e-5f, out, fast.allocate(2),
                fast.allocate(2), true);
        float[] got = fast.download(out);
        for (int i : new int[] {0, 1, 4, 5}) {
            assertTrue(Float.isNaN(got[i]), "batchNormTrain relu on " + name + ": channel 0 value " + i + " = "
                    + got[i] + ", want NaN");
        }
    }

    private static void assertSameFloats(String what, float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                    what + ": element " + i + " is " + got[i] + ", want " + want[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void elementwise(String name) {
        Backend fast = TestBackends.require(name);
        int n = rnd.between(1, 70_001);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.SQRT;
            Pair x = positive ? new Pair(fast, rnd.uniformArray(n, 0.01, 5)) : random(fast, n, 2);
            Pair y = poisoned(fast, n);
            both(x, be -> be.map(op, on(be, x), on(be, y), n));
            y.check("map " + op + " n=" + n);
        }
        for (BinaryOp op : BinaryOp.values()) {
            Pair a = op == BinaryOp.SIGMOID_GRAD ? new Pair(fast, rnd.uniformArray(n, 0, 1)) : random(fast, n, 2);
            Pair b = random(fast, n, 2);
            Pair y = poisoned(fast, n);
            both(a, be -> be.zip(op, on(be, a), on(be, b), on(be, y), n));
            y.check("zip " + op + " n=" + n);
        }
        for (float beta : new float[] {0f, 1f, -0.7f}) {
            Pair x = random(fast, n, 1);
            Pair y = beta == 0 ? poisoned(fast, n) : random(fast, n, 1);
            both(x, be -> be.axpby(1.3f, on(be, x), beta, on(be, y), n));
            y.check("axpby beta=" + beta);
        }
        Pair x = random(fast, n, 2);
        Pair y = poisoned(fast, n);
        both(x, be -> be.affineClamp(on(be, x), 0.5f, 0.25f, -0.3f, 0.6f, on(be, y), n));
        y.check("affineClamp");
        Pair copy = poisoned(fast, n);
        both(x, be -> be.copy(on(be, x), on(be, copy), n));
        copy.check("copy");
        both(x, be -> be.fill(on(be, copy), 0.75f));
        copy.check("fill");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void countNonFinite(String name) {
        Backend fast = TestBackends.require(name);
        int n = rnd.between(1, 50_000);
        float[] v = rnd.normal(n, 1);
        int bad = rnd.between(0, Math.min(n, 7));
        for (int i = 0; i < bad; i++) {
            v[i * (n / Math.max(1, bad))] = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[i % 3];
        }
        assertEquals(nonFinite(v), fast.countNonFinite(fast.upload(v), n), rnd.tag());
    }

    private static long nonFinite(float[] v) {
        long count = 0;
        for (float f : v) {
            count += Float.isFinite(f) ? 0 : 1;
        }
        return count;
    }

    /**
     * requireFinite fails naming what it checked, at once or (CUDA: deferred, no wait per check) at
     * the next download; more checks than the CUDA backend's 256 slots are fine; afterwards the
     * backend works as before.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void requireFiniteNamesWhatItChecked(String name) {
        Backend fast = TestBackends.require(name);
        int n = rnd.between(1, 5000);
        float[] good = rnd.normal(n, 1);
        float[] bad = good.clone();
        bad[rnd.between(0, n - 1)] = Float.NaN;
        bad[rnd.between(0, n - 1)] = Float.POSITIVE_INFINITY;
        long badCount = nonFinite(bad);
        Buffer g = fast.upload(good);
        Buffer b = fast.upload(bad);
        int before = rnd.between(0, 300);   // finite checks pending before the failing one
        for (int i = 0; i < before; i++) {
            fast.requireFinite(g, n, "good " + i);
        }
        long want = badCount;
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> {
            fast.requireFinite(b, n, "layer7: input to NRPM");
            fast.requireFinite(g, n, "after");
            fast.download(g);
        });
        assertEquals("layer7: input to NRPM holds " + want + " NaN or infinite value" + (want == 1 ? "" : "s") + " of " + n,
                e.getMessage());
        fast.requireFinite(g, n, "good again");
        assertArrayEquals(good, fast.download(g), "a download after the failure");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void channels(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 6; trial++) {
            boolean longRow = trial >= 4;   // one channel over more elements than one CPU thread takes
            int outer = longRow ? 1 : rnd.between(1, 9);
            int ch = longRow ? 1 : rnd.between(1, 13);
            int inner = longRow ? rnd.between(70_000, 140_000) : rnd.between(1, 50);
            int n = outer * ch * inner;
            Pair v = random(fast, ch, 1);
            Pair y = random(fast, n, 1);
            both(v, be -> be.addChannels(on(be, v), -0.5f, on(be, y), outer, ch, inner));
            y.check("addChannels");
            Pair m = poisoned(fast, n);
            both(v, be -> be.mulChannels(on(be, y), on(be, v), on(be, m), outer, ch, inner));
            m.check("mulChannels");
            boolean acc = trial % 2 == 0;
            Pair s = acc ? random(fast, ch, 1) : poisoned(fast, ch);
            both(v, be -> be.sumChannels(on(be, y), on(be, s), outer, ch, inner, acc));
            s.check("sumChannels accumulate=" + acc, 1e-4, 1e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pooling(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 6; trial++) {
            int k = rnd.between(1, 4);
            int pad = rnd.between(0, k / 2);
            PoolGeometry g = new PoolGeometry(rnd.between(1, 6), rnd.between(k, 13), rnd.between(k, 13), k, k,
                    rnd.between(1, 3), rnd.between(1, 3), pad, pad);
            Pair x = random(fast, (int) g.inputSize(), 1);
            Pair y = poisoned(fast, (int) g.outputSize());
            both(x, be -> be.maxPool2d(g, on(be, x), on(be, y)));
            y.check("maxPool2d " + g);
            Pair gy = random(fast, (int) g.outputSize(), 1);
            boolean acc = trial % 2 == 0;
            Pair gx = gradOut(fast, (int) g.inputSize(), acc);
            both(x, be -> be.maxPool2dBackward(g, on(be, x), on(be, gy), on(be, gx), acc));
            gx.check("maxPool2dBackward accumulate=" + acc + " " + g);
            both(x, be -> be.avgPool2d(g, on(be, x), on(be, y)));
            y.check("avgPool2d " + g);
            Pair gx2 = gradOut(fast, (int) g.inputSize(), !acc);
            both(x, be -> be.avgPool2dBackward(g, on(be, gy), on(be, gx2), !acc));
            gx2.check("avgPool2dBackward accumulate=" + !acc + " " + g);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchNorm(String name) {
        Backend fast = TestBackends.require(name);
        for (int trial = 0; trial < 7; trial++) {
            // trial 4: few channels of many values, so the CUDA kernels split each channel into
            // slices whose threads loop several times (CudaBatchNorm.channelSlices); 5: a long
            // batch of small planes (the CPU's float lanes flushed to double more than once); 6:
            // planes longer than the CPU's lanes and enough values for its sums to run in chunks
            boolean manyValues = trial == 4;
            int n = manyValues ? rnd.between(3, 6) : trial == 5 ? rnd.between(130, 200) : trial == 6 ? rnd.between(12, 14)
                    : rnd.between(1, 5);
            int c = manyValues ? rnd.between(1, 3) : trial == 5 ? rnd.between(1, 3) : trial == 6 ? rnd.between(2, 3)
                    : rnd.between(1, 9);
            int hw = manyValues ? rnd.between(700, 1500) : trial == 5 ? rnd.between(1, 4)
                    : trial == 6 ? rnd.between(3100, 3500) : rnd.between(n == 1 ? 2 : 1, 30);
            int size = n * c * hw;
            Pair x = new Pair(fast, rnd.normal(size, 3));
            for (int i = 0; i < size; i++) {
                x.values[i] += 1.5f;   // a non-zero mean, as real activations have
            }
            Pair xs = new Pair(fast, x.values);
            Pair gamma = random(fast, c, 1);
            Pair beta = random(fast, c, 1);
            Pair rm = random(fast, c, 1);
            Pair rv = new Pair(fast, rnd.uniformArray(c, 0.5, 2));
            Pair y = poisoned(fast, size);
            Pair mean = poisoned(fast, c);
            Pair inv = poisoned(fast, c);
            boolean relu = trial % 2 == 1 || trial == 4 && rnd.between(0, 1) == 1;   // BN and ReLU fused
            both(xs, be -> be.batchNormTrain(n, c, hw, on(be, xs), on(be, gamma), on(be, beta), on(be, rm), on(be, rv),
                    0.1f, 1e-5f, on(be, y), on(be, mean), on(be, inv), relu));
            y.check("batchNormTrain y relu=" + relu, 1e-4, 1e-4);
            mean.check("batchNormTrain mean", 1e-4, 1e-4);
            inv.check("batchNormTrain invStd", 1e-4, 1e-4);
            rm.check("batchNormTrain running mean", 1e-4, 1e-4);
            rv.check("batchNormTrain running var", 1e-4, 1e-4);
            for (boolean batchStats : new boolean[] {true, false}) {
                Pair gy = random(fast, size, 1);
                boolean acc = rnd.between(0, 1) == 1;
                Pair gx = gradOut(fast, size, acc);
                // the parameters' gradients not asked for (an attack's backward) in one trial
                Pair gg = trial == 2 ? null : random(fast, c, 1);
                Pair gb = trial == 2 ? null : random(fast, c, 1);
                Pair reluOut = relu ? y : null;
                both(xs, be -> be.batchNormBackward(n, c, hw, on(be, xs), on(be, gamma), on(be, mean), on(be, inv),
                        batchStats, on(be, gy), on(be, reluOut), on(be, gx), acc, on(be, gg), on(be, gb)));
                String tag = " batchStats=" + batchStats + " relu=" + relu;
                gx.check("batchNormBackward gx" + tag + " accumulate=" + acc, 1e-4, 1e-3);
                if (gg != null) {
                    gg.check("batchNormBackward gamma" + tag, 1e-3, 1e-4);
                    gb.check("batchNormBackward beta" + tag, 1e-3, 1e-4);
                }
            }
            Pair inv2 = poisoned(fast, c);
            both(xs, be -> be.batchNormEval(n, c, hw, on(be, xs), on(be, gamma), on(be, beta), on(be, rm), on(be, rv),
                    1e-5f, on(be, y), on(be, inv2), relu));
            y.check("batchNormEval y relu=" + relu, 1e-4, 1e-4);
            inv2.check("batchNormEval invStd", 1e-4, 1e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxAndNll(String name) {
        Backend fast = TestBackends.require(name);
        int rows = rnd.between(1, 70);
        int cols = rnd.between(1, 23);
        Pair x = random(fast, rows * cols, 4);
        Pair y = poisoned(fast, rows * cols);
        both(x, be -> be.logSoftmax(on(be, x), on(be, y), rows, cols));
        y.check("logSoftmax");
        Pair gy = random(fast, rows * cols, 1);
        for (boolean acc : new boolean[] {false, true}) {
            Pair gx = gradOut(fast, rows * cols, acc);
            both(x, be -> be.logSoftmaxBackward(on(be, y), on(be, gy), on(be, gx), rows, cols, acc));
            gx.check("logSoftmaxBackward accumulate=" + acc);
        }
        float[] labels = new float[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rnd.between(0, cols - 1);
        }
        Pair lab = new Pair(fast, labels);
        Pair out = poisoned(fast, rows);
        both(x, be -> be.nllLoss(on(be, y), on(be, lab), on(be, out), rows, cols));
        out.check("nllLoss");
        Pair gout = random(fast, rows, 1);
        for (boolean acc : new boolean[] {false, true}) {
            Pair glogp = gradOut(fast, rows * cols, acc);
            both(x, be -> be.nllLossBackward(on(be, gout), on(be, lab), on(be, glogp), rows, cols, acc));
            glogp.check("nllLossBackward accumulate=" + acc);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void randomStreamsMatchTheReference(String name) {
        Backend fast = TestBackends.require(name);
        int n = rnd.between(1, 40_000);
        long seed = rnd.nextLong();
        for (int inner : new int[] {1, 7}) {
            int size = n * inner;
            Pair x = random(fast, size, 1);
            Pair y = poisoned(fast, size);
            both(x, be -> be.dropout(on(be, x), on(be, y), size, inner, 0.3f, seed, false));
            y.check("dropout inner=" + inner);
            Pair acc = random(fast, size, 1);
            both(x, be -> be.dropout(on(be, x), on(be, acc), size, inner, 0.6f, seed, true));
            acc.check("dropout accumulate inner=" + inner);
        }
        Pair u = poisoned(fast, n);
        both(u, be -> be.randomUniform(on(be, u), n, -2f, 3f, seed));
        u.check("randomUniform");
        Pair g = poisoned(fast, n);
        both(g, be -> be.randomNormal(on(be, g), n, 0.5f, 2f, seed));
        g.check("randomNormal", 1e-4, 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sgd(String name) {
        Backend fast = TestBackends.require(name);
        int n = rnd.between(1, 50_000);
        for (boolean nesterov : new boolean[] {false, true}) {
            Pair p = random(fast, n, 1);
            Pair g = random(fast, n, 1);
            Pair v = random(fast, n, 1);
            both(p, be -> be.sgdStep(on(be, p), on(be, g), on(be, v), n, 0.05f, 0.9f, 5e-4f, nesterov));
            p.check("sgd param nesterov=" + nesterov);
            v.check("sgd velocity nesterov=" + nesterov);
        }
    }

    /**
     * sgdSteps over several tensors, three steps: the second with the same buffers (the CUDA
     * backend reuses its table of addresses), the third with a different set (it rebuilds it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sgdStepsOverManyTensors(String name) {
        Backend fast = TestBackends.require(name);
        int count = rnd.between(2, 9);
        Pair[][] t = new Pair[count][];
        long[] lengths = new long[count];
        for (int i = 0; i < count; i++) {
            int n = rnd.between(1, i == 0 ? 3000 : 300);
            lengths[i] = n;
            t[i] = new Pair[] {random(fast, n, 1), random(fast, n, 1), random(fast, n, 1)};
        }
        for (int step = 0; step < 3; step++) {
            int from = step == 2 ? 1 : 0;      // the third step leaves the first tensor out
            int m = count - from;
            long[] ls = java.util.Arrays.copyOfRange(lengths, from, count);
            boolean nesterov = step == 1;
            both(t[0][0], be -> {
                Buffer[][] bufs = new Buffer[3][m];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < 3; j++) {
                        bufs[j][i] = on(be, t[from + i][j]);
                    }
                }
                be.sgdSteps(bufs[0], bufs[1], bufs[2], ls, 0.05f, 0.9f, 5e-4f, nesterov);
            });
            for (int i = 0; i < count; i++) {
                t[i][0].check("sgdSteps param " + i + " of " + count + " after step " + step);
                t[i][2].check("sgdSteps velocity " + i + " of " + count + " after step " + step);
            }
        }
    }

    /** zeroBuffers zeroes every value of every buffer, and nothing else: again with the same set, then another. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void zeroBuffersOverManyBuffers(String name) {
        Backend fast = TestBackends.require(name);
        int count = rnd.between(2, 9);
        Buffer[] bufs = new Buffer[count];
        for (int i = 0; i < count; i++) {
            bufs[i] = fast.upload(rnd.normal(rnd.between(1, i == 0 ? 3000 : 300), 1));
        }
        float[] bystander = rnd.normal(rnd.between(1, 100), 1);
        Buffer other = fast.upload(bystander);
        for (int round = 0; round < 3; round++) {
            Buffer[] set = round == 2 ? java.util.Arrays.copyOfRange(bufs, 1, count) : bufs;
            for (Buffer b : set) {
                fast.map(dev.nrpm.backend.UnaryOp.SIGMOID, b, b, b.length()); // non-zero again
            }
            fast.zeroBuffers(set);
            for (Buffer b : set) {
                for (float v : fast.download(b)) {
                    assertEquals(0f, v, "zeroBuffers round " + round + " on " + name);
                }
            }
            assertArrayEquals(bystander, fast.download(other), "a buffer not passed is left alone");
        }
    }
}

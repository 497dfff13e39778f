package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CPU conv kernels' two lane layouts (channels of one pixel, pixels of one channel) compute the
 * same outputs, backward state and gradients. Which one runs depends on the shape, so the conformance suite,
 * which checks the backend against the float64 oracle, reaches each only by chance; here both run
 * on every shape.
 */
class FusedNrpmConvLanesTest {
    private final TestRandom rnd = new TestRandom();

    @Test
    void pixelLanesMatchChannelLanes() {
        TestBackends.require("cpu");
        for (int trial = 0; trial < 12; trial++) {
            WeightFunction fn = WeightFunction.values()[trial % WeightFunction.values().length];
            NrpmSpec spec = new NrpmSpec(rnd.between(1, 3), 1e-3f, fn, 1.5f, 0.05f);
            int ks = rnd.between(1, 4);
            int pad = rnd.between(0, ks / 2 + 1);
            int h = rnd.between(Math.max(1, ks - 2 * pad), 12);
            int w = rnd.between(Math.max(1, ks - 2 * pad), 12);
            ConvGeometry g = new ConvGeometry(rnd.between(1, 3), rnd.between(1, 4), h, w, rnd.between(1, 40), ks, ks,
                    rnd.between(1, 2), rnd.between(1, 2), pad, pad);
            float[] x = rnd.normal((int) g.inputSize(), 1);
            if (trial % 2 == 0) {                       // ReLU-like zeros: the channel lanes skip them
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.max(0f, x[i]);
                }
            }
            float[] wt = rnd.normal((int) g.weightSize(), 1 / Math.sqrt(g.patchSize()));
            if (trial % 3 == 0) {                       // zero weights: the pixel lanes skip them
                for (int i = 0; i < wt.length; i += 3) {
                    wt[i] = 0f;
                }
            }
            float[] bias = rnd.normal(g.outC(), 0.5);
            float lambda = (float) rnd.uniform(0, 1);
            int n = (int) g.outputSize();
            float[] z0 = new float[n];
            CpuConv.forward(g, x, wt, z0);
            String what = fn + " K=" + spec.k() + " " + g + " " + rnd.tag();
            for (boolean training : new boolean[] {false, true}) {
                float[][] y = new float[2][n];
                float[][] state = training ? new float[2][(3 * spec.k() + 1) * n] : new float[2][];
                FusedNrpmConv.Lanes[] lanes = FusedNrpmConv.Lanes.values();
                for (int l = 0; l < 2; l++) {
                    FusedNrpmConv.forward(spec, g, x, wt, bias, lambda, z0, y[l], training ? state[l] : null, lanes[l]);
                }
                assertClose("y, " + what, y[0], y[1], 0, n, 1e-5);
                if (training) {
                    int k = spec.k();
                    for (int plane = 0; plane < 3 * k + 1; plane++) {
                        // z(k) and S0(k) sum the same terms in another order; A(k) sums derivatives that
                        // jump at a clamp, where another order can flip one term
                        double tol = plane <= 2 * k ? 1e-5 : 1e-3;
                        assertClose("state plane " + plane + ", " + what, state[0], state[1], plane * n, n, tol);
                    }
                    backwardsAgree(spec, g, x, wt, lambda, state[0], what);
                }
            }
        }
    }

    /**
     * Both backward layouts from the same state, into gradients that already hold values: each term's
     * gradient is computed the same way in both, only the sums into gx and gw run in another order.
     * Also with gx or gw alone (an attack's input gradient; a first layer's weight gradient).
     */
    private void backwardsAgree(NrpmSpec spec, ConvGeometry g, float[] x, float[] wt, float lambda, float[] state,
                                String what) {
        float[] gy = rnd.normal((int) g.outputSize(), 1);
        float[] gx0 = rnd.normal((int) g.inputSize(), 0.1);
        float[] gw0 = rnd.normal((int) g.weightSize(), 0.1);
        for (int which = 0; which < 3; which++) {
            float[][] gx = new float[2][];
            float[][] gw = new float[2][];
            float[][] gl = new float[2][];
            FusedNrpmConv.Lanes[] lanes = FusedNrpmConv.Lanes.values();
            for (int l = 0; l < 2; l++) {
                gx[l] = which == 2 ? null : gx0.clone();
                gw[l] = which == 1 ? null : gw0.clone();
                gl[l] = new float[] {0.25f};
                FusedNrpmConv.backward(spec, g, x, wt, lambda, state, gy, gx[l], gw[l], gl[l], lanes[l]);
            }
            String v = " (" + (which == 0 ? "gx and gw" : which == 1 ? "gx only" : "gw only") + "), " + what;
            if (gx[0] != null) {
                assertClose("gx" + v, gx[0], gx[1], 0, gx0.length, 1e-5);
            }
            if (gw[0] != null) {
                assertClose("gw" + v, gw[0], gw[1], 0, gw0.length, 1e-5);
            }
            assertClose("glambda" + v, gl[0], gl[1], 0, 1, 1e-5);
        }
    }

    @Test
    void theShapeChoosesTheLanes() {
        Assumptions.assumeTrue(System.getProperty("nrpm.cpu.convLanes") == null, "lanes forced by nrpm.cpu.convLanes");
        ConvGeometry layer1Tiny = ConvGeometry.square(128, 8, 32, 32, 8, 3, 1, 1);       // O 8, P 1024, D 72
        ConvGeometry layer1Full = ConvGeometry.square(128, 64, 32, 32, 64, 3, 1, 1);     // O 64, P 1024, D 576
        ConvGeometry lenetConv2 = ConvGeometry.square(256, 10, 12, 12, 20, 5, 1, 0);     // O 20, P 64, D 250
        assertEquals(FusedNrpmConv.Lanes.PIXELS, FusedNrpmConv.forwardLanes(layer1Tiny));
        assertEquals(FusedNrpmConv.Lanes.PIXELS, FusedNrpmConv.backwardLanes(layer1Tiny));
        assertEquals(FusedNrpmConv.Lanes.CHANNELS, FusedNrpmConv.forwardLanes(layer1Full));
        assertEquals(FusedNrpmConv.Lanes.CHANNELS, FusedNrpmConv.backwardLanes(layer1Full));
        assertEquals(FusedNrpmConv.Lanes.PIXELS, FusedNrpmConv.forwardLanes(lenetConv2));
        assertEquals(FusedNrpmConv.Lanes.CHANNELS, FusedNrpmConv.backwardLanes(lenetConv2));
    }

    /** Norm-wise: ||got - want|| <= tol ||want|| over [from, from + len). */
    private static void assertClose(String what, float[] want, float[] got, int from, int len, double tol) {
        double num = 0;
        double den = 0;
        for (int i = from; i < from + len; i++) {
            double e = (double) got[i] - want[i];
            num += e * e;
            den += (double) want[i] * want[i];
        }
        assertTrue(Double.isFinite(num) && Math.sqrt(num) <= tol * Math.sqrt(den) + 1e-30,
                what + ": relative error " + Math.sqrt(num / Math.max(den, 1e-300)));
    }
}

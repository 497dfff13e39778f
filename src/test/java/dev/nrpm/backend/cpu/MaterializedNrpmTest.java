package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.Approx;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import org.junit.jupiter.api.Test;

/** The benchmark's materialized ND4J baseline computes the same function as the oracle. */
class MaterializedNrpmTest {
    private final TestRandom rnd = new TestRandom();

    @Test
    void denseAndConvMatchTheOracle() {
        TestBackends.require("cpu");
        Backend ref = TestBackends.reference();
        for (WeightFunction fn : WeightFunction.values()) {
            NrpmSpec spec = new NrpmSpec(rnd.between(1, 3), 1e-3f, fn, 1.5f, 0.05f);
            float lambda = (float) rnd.uniform(0, 1);
            int b = rnd.between(1, 6);
            int d = rnd.between(1, 40);
            int o = rnd.between(1, 20);
            float[] x = rnd.normal(b * d, 1);
            float[] w = rnd.normal(o * d, 0.3);
            float[] bias = rnd.normal(o, 1);
            float[] got = MaterializedNrpm.dense(spec, b, d, o, x, w, lambda, bias);
            float[] want = Ops.nrpmDense(spec, Tensor.of(ref, x, b, d), Tensor.of(ref, w, o, d),
                    Tensor.of(ref, bias, o), Tensor.scalar(ref, lambda)).toFloatArray();
            Approx.assertClose("materialized dense " + fn + " " + rnd.tag(), want, got, 1e-4, 1e-3);

            ConvGeometry g = ConvGeometry.square(2, 2, 7, 6, 3, 3, 2, 1);
            float[] xc = rnd.normal((int) g.inputSize(), 1);
            float[] wc = rnd.normal((int) g.weightSize(), 0.3);
            float[] bc = rnd.normal(3, 1);
            float[] gotc = MaterializedNrpm.conv(spec, g, xc, wc, lambda, bc);
            float[] wantc = Ops.nrpmConv2d(spec, Tensor.of(ref, xc, 2, 2, 7, 6), Tensor.of(ref, wc, 3, 2, 3, 3),
                    Tensor.of(ref, bc, 3), Tensor.scalar(ref, lambda), 2, 1).toFloatArray();
            Approx.assertClose("materialized conv " + fn + " " + rnd.tag(), wantc, gotc, 1e-4, 1e-3);
        }
    }
}

package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.matching.NrpmSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * NRPM the way the public PyTorch code computes it, in ND4J array operations: the whole
 * (rows, O, D) tensor of terms is built, then every step makes several temporaries of that size.
 * It exists as the baseline the CPU benchmark measures the fused kernels against (forward only),
 * and is checked against the float64 oracle before it is timed.
 */
public final class MaterializedNrpm {
    private MaterializedNrpm() {
    }

    /** y (B, O) = lambda z_LPM + (1 - lambda) z_NRPM + bias for x (B, D), w (O, D). */
    public static float[] dense(NrpmSpec spec, int batch, int in, int out, float[] x, float[] w, float lambda,
                                float[] bias) {
        INDArray xs = Nd4j.create(x, new long[] {batch, in}, 'c');
        INDArray ws = Nd4j.create(w, new long[] {out, in}, 'c');
        INDArray y = robustSum(spec, xs, ws, lambda);        // (B, O)
        if (bias != null) {
            y.addiRowVector(Nd4j.create(bias, new long[] {out}, 'c'));
        }
        return y.data().asFloat();
    }

    /** The robust sums of rows (R, D) against w (O, D), mixed with the plain sums: (R, O). */
    private static INDArray robustSum(NrpmSpec spec, INDArray rows, INDArray w, float lambda) {
        long r = rows.size(0);
        long d = rows.size(1);
        long o = w.size(0);
        INDArray terms = rows.reshape(r, 1, d).broadcast(r, o, d).mul(w.reshape(1, o, d).broadcast(r, o, d));
        INDArray z0 = terms.sum(2);                          // (R, O)
        INDArray z = z0;
        for (int step = 0; step < spec.k(); step++) {
            INDArray resid = terms.sub(z.div(d).reshape(r, o, 1).broadcast(r, o, d));
            INDArray weights = weights(spec, Transforms.abs(resid, false).addi(spec.eps()));
            z = terms.mul(weights).sum(2).divi(weights.sum(2)).muli(d);
        }
        return z0.mul(lambda).addi(z.mul(1 - lambda));
    }

    /** w for a = |r| + eps, elementwise (package-private: WeightFunctionTableTest checks it). */
    static INDArray weights(NrpmSpec s, INDArray a) {
        switch (s.function()) {
            case L1:
                return a.rdivi(1.0);
            case HUBER:
                return Transforms.min(a.rdivi(s.delta()), 1.0, false);
            case MCP:
                return Transforms.max(a.rdivi(1.0).subi(1.0 / s.gamma()), s.eps(), false);
            case HM: {
                double c = s.delta() / (s.gamma() - s.delta());
                INDArray v = a.rdivi(s.gamma()).subi(1.0).muli(c);
                return Transforms.min(Transforms.max(v, s.eps(), false), 1.0, false);
            }
            default:
                throw new AssertionError(s.function());
        }
    }

    /** Convolutional NRPM through im2col: y (B, O, Ho, Wo). */
    public static float[] conv(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float lambda, float[] bias) {
        INDArray in = Nd4j.create(x, new long[] {g.batch(), g.inC(), g.inH(), g.inW()}, 'c');
        // (B, C, kh, kw, Ho, Wo): zero padding included, as in the public code's unfold
        INDArray cols = Convolution.im2col(in, g.kH(), g.kW(), g.strideH(), g.strideW(), g.padH(), g.padW(), false);
        long p = (long) g.outH() * g.outW();
        long d = g.patchSize();
        INDArray rows = cols.reshape('c', g.batch(), d, p).permute(0, 2, 1).dup('c').reshape(g.batch() * p, d);
        INDArray ws = Nd4j.create(w, new long[] {g.outC(), d}, 'c');
        INDArray y = robustSum(spec, rows, ws, lambda)          // (B*P, O)
                .reshape(g.batch(), p, g.outC()).permute(0, 2, 1).dup('c');
        if (bias != null) {
            INDArray b = Nd4j.create(bias, new long[] {1, g.outC(), 1}, 'c');
            y.addi(b.broadcast(g.batch(), g.outC(), p));
        }
        return y.castTo(DataType.FLOAT).data().asFloat();
    }
}

package dev.nrpm.backend.reference;

import static dev.nrpm.backend.reference.ReferenceBackend.a;
import static dev.nrpm.backend.reference.ReferenceBackend.gradOut;

import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;

/** Batch norm in float64: training statistics, evaluation, backward. */
final class ReferenceBatchNorm {
    private ReferenceBatchNorm() {
    }

    static void batchNormTrain(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                               Buffer runMeanb, Buffer runVarb, float momentum, float eps,
                               Buffer yb, Buffer saveMeanb, Buffer saveInvStdb, boolean relu) {
        long m = (long) n * hw;
        if (m < 2) {
            throw new ShapeException("batch norm in training mode needs more than one value per channel, got " + m);
        }
        double[] x = a(xb);
        double[] y = a(yb);
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    mean += x[(b * c + ch) * hw + i];
                }
            }
            mean /= m;
            double var = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    double dv = x[(b * c + ch) * hw + i] - mean;
                    var += dv * dv;
                }
            }
            var /= m;
            double inv = 1.0 / Math.sqrt(var + eps);
            normalize(n, c, hw, ch, x, y, mean, inv, a(gammab)[ch], a(betab)[ch], relu);
            a(saveMeanb)[ch] = mean;
            a(saveInvStdb)[ch] = inv;
            a(runMeanb)[ch] = (1 - momentum) * a(runMeanb)[ch] + momentum * mean;
            a(runVarb)[ch] = (1 - momentum) * a(runVarb)[ch] + momentum * var * m / (m - 1);
        }
    }

    /** y = (x - mean) inv gamma + beta over channel ch, then the ReLU when relu. */
    private static void normalize(int n, int c, int hw, int ch, double[] x, double[] y, double mean, double inv,
                                  double gamma, double beta, boolean relu) {
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < hw; i++) {
                int idx = (b * c + ch) * hw + i;
                y[idx] = relu((x[idx] - mean) * inv * gamma + beta, relu);
            }
        }
    }

    /** v, or its {@link UnaryOp#RELU} (as map computes it here: NaN stays NaN) when relu. */
    static double relu(double v, boolean relu) {
        return relu ? Math.max(v, 0) : v;
    }

    static void batchNormEval(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                              Buffer runMeanb, Buffer runVarb, float eps, Buffer yb, Buffer saveInvStdb,
                              boolean relu) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int ch = 0; ch < c; ch++) {
            double inv = 1.0 / Math.sqrt(a(runVarb)[ch] + eps);
            normalize(n, c, hw, ch, x, y, a(runMeanb)[ch], inv, a(gammab)[ch], a(betab)[ch], relu);
            if (saveInvStdb != null) {
                a(saveInvStdb)[ch] = inv;
            }
        }
    }

    static void batchNormBackward(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer meanb, Buffer invStdb,
                                  boolean batchStats, Buffer gyb, Buffer reluOutb, Buffer gxb, boolean accumulateGx,
                                  Buffer gGammab, Buffer gBetab) {
        double[] x = a(xb);
        double[] gy = a(gyb);
        if (reluOutb != null) {     // the ReLU's gradient first: gy where the output is positive
            double[] out = a(reluOutb);
            gy = gy.clone();
            for (int i = 0; i < gy.length; i++) {
                gy[i] = out[i] > 0 ? gy[i] : 0;
            }
        }
        double[] gx = gradOut(gxb, accumulateGx);
        double m = (double) n * hw;
        for (int ch = 0; ch < c; ch++) {
            double mean = a(meanb)[ch];
            double inv = a(invStdb)[ch];
            double gm = a(gammab)[ch];
            double sumGy = 0;
            double sumGyXhat = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    sumGy += gy[idx];
                    sumGyXhat += gy[idx] * (x[idx] - mean) * inv;
                }
            }
            if (gGammab != null) {
                a(gGammab)[ch] += sumGyXhat;
            }
            if (gBetab != null) {
                a(gBetab)[ch] += sumGy;
            }
            if (gx == null) {
                continue;
            }
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    if (batchStats) {
                        double xhat = (x[idx] - mean) * inv;
                        gx[idx] += gm * inv / m * (m * gy[idx] - sumGy - xhat * sumGyXhat);
                    } else {
                        gx[idx] += gy[idx] * gm * inv;
                    }
                }
            }
        }
    }
}

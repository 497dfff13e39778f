package dev.nrpm.backend.reference;

import static dev.nrpm.backend.reference.ReferenceBackend.a;
import static dev.nrpm.backend.reference.ReferenceBackend.gradOut;

import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;

/** Log-softmax and the negative log-likelihood in float64, forward and backward. */
final class ReferenceLoss {
    private ReferenceLoss() {
    }

    static void logSoftmax(Buffer xb, Buffer yb, int rows, int cols) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(x[r * cols + j] - max);
            }
            double lse = max + Math.log(s);
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = x[r * cols + j] - lse;
            }
        }
    }

    static void logSoftmaxBackward(Buffer yb, Buffer gyb, Buffer gxb, int rows, int cols, boolean accumulate) {
        double[] y = a(yb);
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += gy[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                gx[r * cols + j] += gy[r * cols + j] - Math.exp(y[r * cols + j]) * s;
            }
        }
    }

    static void nllLoss(Buffer logpb, Buffer labelsb, Buffer outb, int rows, int cols) {
        double[] logp = a(logpb);
        double[] labels = a(labelsb);
        double[] out = a(outb);
        for (int r = 0; r < rows; r++) {
            out[r] = -logp[r * cols + label(labels[r], cols)];
        }
    }

    static void nllLossBackward(Buffer goutb, Buffer labelsb, Buffer glogpb, int rows, int cols, boolean accumulate) {
        double[] gout = a(goutb);
        double[] labels = a(labelsb);
        double[] glogp = gradOut(glogpb, accumulate);
        for (int r = 0; r < rows; r++) {
            glogp[r * cols + label(labels[r], cols)] -= gout[r];
        }
    }

    static int label(double v, int cols) {
        int l = (int) v;
        if (l != v || l < 0 || l >= cols) {
            throw new ShapeException("label " + v + " is not a class index in [0, " + cols + ")");
        }
        return l;
    }
}

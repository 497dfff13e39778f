package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.flag;

import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;

/** Log-softmax and the negative log-likelihood, forward and backward (kernels/softmax_xent.cu). */
final class CudaLoss {
    private final Launcher l;
    private final FiniteChecks checks;

    /** The labels buffer checkLabels last passed (ops never write labels), and its shape. */
    private Buffer checkedLabels;
    private int checkedRows;
    private int checkedCols;

    CudaLoss(Launcher launcher, FiniteChecks checks) {
        this.l = launcher;
        this.checks = checks;
    }

    void logSoftmax(Buffer x, Buffer y, int rows, int cols) {
        l.launch2d("log_softmax_fwd", rows, 1, l.p(x), l.p(y), rows, cols);
    }

    void logSoftmaxBackward(Buffer y, Buffer gy, Buffer gx, int rows, int cols, boolean accumulate) {
        l.launch2d("log_softmax_bwd", rows, 1, l.p(y), l.p(gy), l.p(gx), rows, cols, flag(accumulate));
    }

    void nllLoss(Buffer logp, Buffer labels, Buffer out, int rows, int cols) {
        checkLabels(labels, rows, cols);
        l.launch1d("nll_fwd", rows, l.p(logp), l.p(labels), l.p(out), rows, cols);
    }

    void nllLossBackward(Buffer gout, Buffer labels, Buffer glogp, int rows, int cols, boolean accumulate) {
        l.launch1d("nll_bwd", rows, l.p(gout), l.p(labels), l.p(glogp), rows, cols, flag(accumulate));
    }

    /**
     * Labels come from the host once per batch; a kernel cannot throw, so they are checked here as
     * the other backends check them (one small copy, which waits for the device). A PGD attack
     * computes the loss of one labels buffer at every step: that buffer is checked once.
     */
    private synchronized void checkLabels(Buffer labels, int rows, int cols) {
        if (labels == checkedLabels && rows == checkedRows && cols == checkedCols) {
            return;
        }
        checks.flush();
        float[] values = new float[rows];
        l.device.copyOut(l.p(labels), values, rows);
        for (float v : values) {
            if ((int) v != v || v < 0 || v >= cols) {
                throw new ShapeException("label " + v + " is not a class index in [0, " + cols + ")");
            }
        }
        checkedLabels = labels;
        checkedRows = rows;
        checkedCols = cols;
    }
}

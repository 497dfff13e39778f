package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/** Log-softmax over rows, the negative log-likelihood of labelled rows, and the sum of all elements. */
public final class LossOp {
    private LossOp() {
    }

    /** y (rows, cols) = x - logsumexp(x) per row. */
    public static Tensor logSoftmax(Tensor x) {
        Checks.rank("log_softmax", "input", x, 2);
        int rows = x.dim(0);
        int cols = x.dim(1);
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        be.logSoftmax(x.buffer(), y, rows, cols);
        return Autograd.record(Tensor.wrap(be, y, rows, cols), "log_softmax", g -> {
            GradSink gx = x.gradSink();
            if (gx.needed()) {
                be.logSoftmaxBackward(y, g, gx.buffer(), rows, cols, gx.accumulate());
            }
        }, x);
    }

    /** out (rows) = -logp[r, label[r]]; labels (rows) hold class indices. */
    public static Tensor nll(Tensor logp, Tensor labels) {
        Checks.sameBackend(logp, labels);
        Checks.rank("nll_loss", "log-probabilities", logp, 2);
        int rows = logp.dim(0);
        int cols = logp.dim(1);
        if (labels.size() != rows) {
            throw new ShapeException("nll_loss: " + labels.size() + " labels for " + rows + " rows");
        }
        Backend be = logp.backend();
        Buffer out = be.allocateUninitialized(rows);
        be.nllLoss(logp.buffer(), labels.buffer(), out, rows, cols);
        return Autograd.record(Tensor.wrap(be, out, rows), "nll_loss", g -> {
            GradSink glogp = logp.gradSink();
            if (glogp.needed()) {
                be.nllLossBackward(g, labels.buffer(), glogp.buffer(), rows, cols, glogp.accumulate());
            }
        }, logp);
    }

    /** The sum of all elements, shape (1). */
    public static Tensor sum(Tensor x) {
        Backend be = x.backend();
        Buffer out = be.allocateUninitialized(1);
        int n = Math.toIntExact(x.size());
        be.sumChannels(x.buffer(), out, 1, 1, n, false);
        return Autograd.record(Tensor.wrap(be, out, 1), "sum", g -> {
            if (x.requiresGrad()) {
                be.addChannels(g, 1f, x.gradBuffer(), 1, 1, n);
            }
        }, x);
    }
}

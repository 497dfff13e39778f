package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/**
 * Batch normalization over (N, C, H, W) or (N, C): per-channel statistics of the batch in
 * training (updating the running statistics in place), the running statistics in evaluation.
 * With relu, relu(batch norm(x)) as one op: one pass each way and no stored pre-activation
 * (ResNet's conv, BN, ReLU).
 */
public final class BatchNormOp {
    private BatchNormOp() {
    }

    public static Tensor apply(String site, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
                               boolean training, float momentum, float eps) {
        return apply(site, x, gamma, beta, runMean, runVar, training, momentum, eps, false);
    }

    public static Tensor apply(String site, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
                               boolean training, float momentum, float eps, boolean relu) {
        Checks.sameBackend(x, gamma, beta, runMean, runVar);
        if (x.rank() != 4 && x.rank() != 2) {
            throw new ShapeException(Checks.at(site) + "batch norm input must be (N, C, H, W) or (N, C), got "
                    + x.shapeString());
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int hw = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1;
        for (Tensor t : new Tensor[] {gamma, beta, runMean, runVar}) {
            if (t.size() != c) {
                throw new ShapeException(Checks.at(site) + "batch norm has " + t.size() + " channels, input has " + c
                        + " (shape " + x.shapeString() + ")");
            }
        }
        if (training && (long) n * hw < 2) {
            throw new ShapeException(Checks.at(site) + "batch norm in training mode needs more than one value per"
                    + " channel, input shape " + x.shapeString());
        }
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        boolean record = Autograd.needsGrad(x, gamma, beta);
        Buffer mean;
        Buffer invStd;
        if (training) {
            mean = be.allocateUninitialized(c);
            invStd = be.allocateUninitialized(c);
            be.batchNormTrain(n, c, hw, x.buffer(), gamma.buffer(), beta.buffer(), runMean.buffer(), runVar.buffer(),
                    momentum, eps, y, mean, invStd, relu);
        } else {
            mean = runMean.buffer();
            invStd = record ? be.allocateUninitialized(c) : null;
            be.batchNormEval(n, c, hw, x.buffer(), gamma.buffer(), beta.buffer(), runMean.buffer(), runVar.buffer(),
                    eps, y, invStd, relu);
        }
        return Autograd.record(Tensor.wrap(be, y, x.shape()), relu ? "batch_norm_relu" : "batch_norm", g -> {
            GradSink gx = x.gradSink();
            be.batchNormBackward(n, c, hw, x.buffer(), gamma.buffer(), mean, invStd, training, g, relu ? y : null,
                    gx.buffer(), gx.accumulate(), gamma.gradTarget(), beta.gradTarget());
        }, x, gamma, beta);
    }
}

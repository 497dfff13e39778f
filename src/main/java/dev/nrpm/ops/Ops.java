package dev.nrpm.ops;

import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;

/**
 * The differentiable operations in one place, like torch.nn.functional. Every method records its
 * backward rule when grad mode is on and an input requires a gradient.
 */
public final class Ops {
    private Ops() {
    }

    public static Tensor dense(Tensor x, Tensor w, Tensor b) {
        return DenseOp.apply(null, x, w, b);
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int stride, int pad) {
        return Conv2dOp.apply(null, x, w, b, stride, pad);
    }

    public static Tensor nrpmDense(NrpmSpec spec, Tensor x, Tensor w, Tensor b, Tensor lambda) {
        return NrpmDenseOp.apply(null, spec, x, w, b, lambda);
    }

    public static Tensor nrpmConv2d(NrpmSpec spec, Tensor x, Tensor w, Tensor b, Tensor lambda, int stride, int pad) {
        return NrpmConv2dOp.apply(null, spec, x, w, b, lambda, stride, pad);
    }

    public static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
                                   boolean training, float momentum, float eps) {
        return BatchNormOp.apply(null, x, gamma, beta, runMean, runVar, training, momentum, eps);
    }

    /** relu(batchNorm(...)) as one op: one pass each way, no stored pre-activation. */
    public static Tensor batchNormRelu(Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
                                       boolean training, float momentum, float eps) {
        return BatchNormOp.apply(null, x, gamma, beta, runMean, runVar, training, momentum, eps, true);
    }

    /** relu(a + b) as one op: ResNet's residual join. */
    public static Tensor addRelu(Tensor a, Tensor b) {
        return ArithmeticOp.addRelu(a, b);
    }

    public static Tensor relu(Tensor x) {
        return ReluOp.apply(x);
    }

    public static Tensor sigmoid(Tensor x) {
        return SigmoidOp.apply(x);
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        return Pool2dOp.max(null, x, kernel, stride, pad);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int pad) {
        return Pool2dOp.avg(null, x, kernel, stride, pad);
    }

    public static Tensor dropout(Tensor x, float p, long seed) {
        return DropoutOp.apply(null, x, p, seed, 1);
    }

    /** Drops whole channels of (N, C, H, W). */
    public static Tensor dropout2d(Tensor x, float p, long seed) {
        return DropoutOp.apply(null, x, p, seed, x.dim(2) * x.dim(3));
    }

    public static Tensor add(Tensor a, Tensor b) {
        return ArithmeticOp.add(a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return ArithmeticOp.sub(a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return ArithmeticOp.mul(a, b);
    }

    public static Tensor scale(Tensor x, float alpha) {
        return ArithmeticOp.scale(x, alpha);
    }

    /** (N, ...) to (N, rest). */
    public static Tensor flatten(Tensor x) {
        return x.reshape(x.dim(0), -1);
    }

    public static Tensor logSoftmax(Tensor x) {
        return LossOp.logSoftmax(x);
    }

    public static Tensor nll(Tensor logp, Tensor labels) {
        return LossOp.nll(logp, labels);
    }

    public static Tensor sum(Tensor x) {
        return LossOp.sum(x);
    }

    public static Tensor mean(Tensor x) {
        return scale(sum(x), 1f / x.size());
    }

    /** Mean over rows of -log softmax(logits)[label]. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        return mean(nll(logSoftmax(logits), labels));
    }

    /** Mean NLL of log-probabilities (models that end in log-softmax). */
    public static Tensor nllMean(Tensor logp, Tensor labels) {
        return mean(nll(logp, labels));
    }
}

package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/** Convolutional LPM: y (B, O, Ho, Wo) = conv(x (B, C, H, W), w (O, C, kh, kw)) + b (O). */
public final class Conv2dOp {
    private Conv2dOp() {
    }

    public static Tensor apply(String site, Tensor x, Tensor w, Tensor b, int stride, int pad) {
        ConvGeometry g = geometry(site, x, w, b, stride, pad);
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(g.outputSize());
        be.conv2d(g, x.buffer(), w.buffer(), b == null ? null : b.buffer(), y);
        return Autograd.record(Tensor.wrap(be, y, g.batch(), g.outC(), g.outH(), g.outW()), "conv2d",
                gy -> backward(be, g, x, w, b, gy), x, w, b);
    }

    static ConvGeometry geometry(String site, Tensor x, Tensor w, Tensor b, int stride, int pad) {
        Checks.sameBackend(x, w, b);
        Checks.rank(site, "input", x, 4);
        Checks.rank(site, "weight", w, 4);
        Checks.dim(site, "input", x, 1, w.dim(1));
        Checks.bias(site, b, w.dim(0));
        try {
            return new ConvGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                    stride, stride, pad, pad);
        } catch (dev.nrpm.error.ShapeException e) {
            throw new dev.nrpm.error.ShapeException(Checks.at(site) + e.getMessage());
        }
    }

    /** The gradient of conv(x, w) (+ b) for an upstream gradient gy. */
    static void backward(Backend be, ConvGeometry g, Tensor x, Tensor w, Tensor b, Buffer gy) {
        GradSink gx = x.gradSink();
        Buffer gb = b == null ? null : b.gradTarget();
        if (gx.needed() || w.requiresGrad() || gb != null) {
            be.conv2dBackward(g, x.buffer(), w.buffer(), gy, gx.buffer(), gx.accumulate(), w.gradTarget(), gb);
        }
    }
}

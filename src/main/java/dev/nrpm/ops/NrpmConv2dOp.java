package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/**
 * Convolutional hybrid pattern matching: one robust sum per (b, o, output pixel) over the
 * D = C*kh*kw terms of its receptive field, zero padding included as terms.
 * y = lambda * conv(x, w) + (1 - lambda) * z_NRPM + b.
 */
public final class NrpmConv2dOp {
    private NrpmConv2dOp() {
    }

    public static Tensor apply(String site, NrpmSpec spec, Tensor x, Tensor w, Tensor b, Tensor lambda,
                               int stride, int pad) {
        ConvGeometry g = Conv2dOp.geometry(site, x, w, b, stride, pad);
        Checks.sameBackend(x, lambda);
        if (lambda.size() != 1) {
            throw new dev.nrpm.error.ShapeException(Checks.at(site) + "lambda must hold one value, got shape "
                    + lambda.shapeString());
        }
        Checks.finite(site, "input to NRPM", x);
        Backend be = x.backend();
        long n = g.outputSize();
        boolean record = Autograd.needsGrad(x, w, b, lambda);
        Buffer y = be.allocateUninitialized(n);
        Buffer state = record ? be.allocateUninitialized(spec.stateLength(n)) : null;
        be.nrpmConv2d(spec, g, x.buffer(), w.buffer(), b == null ? null : b.buffer(), lambda.buffer(), y, state);
        return Autograd.record(Tensor.wrap(be, y, g.batch(), g.outC(), g.outH(), g.outW()), "nrpm_conv2d", gy -> {
            GradSink gx = x.gradSink();   // x and w take the LPM sum's share too: one backward pass
            be.nrpmConv2dBackward(spec, g, x.buffer(), w.buffer(), lambda.buffer(), state, gy,
                    gx.buffer(), gx.accumulate(), w.gradTarget(), lambda.gradTarget());
            if (b != null && b.requiresGrad()) {
                be.sumChannels(gy, b.gradBuffer(), g.batch(), g.outC(), g.outH() * g.outW(), true);
            }
            state.close();
        }, x, w, b, lambda);
    }
}

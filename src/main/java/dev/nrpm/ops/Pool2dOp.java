package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.error.ShapeException;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/** Max and average pooling over (N, C, H, W), each plane independently. */
public final class Pool2dOp {
    private Pool2dOp() {
    }

    public static Tensor max(String site, Tensor x, int kernel, int stride, int pad) {
        PoolGeometry g = geometry(site, x, kernel, stride, pad);
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(g.outputSize());
        be.maxPool2d(g, x.buffer(), y);
        return Autograd.record(Tensor.wrap(be, y, x.dim(0), x.dim(1), g.outH(), g.outW()), "max_pool2d",
                gy -> {
                    GradSink gx = x.gradSink();
                    if (gx.needed()) {
                        be.maxPool2dBackward(g, x.buffer(), gy, gx.buffer(), gx.accumulate());
                    }
                }, x);
    }

    public static Tensor avg(String site, Tensor x, int kernel, int stride, int pad) {
        PoolGeometry g = geometry(site, x, kernel, stride, pad);
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(g.outputSize());
        be.avgPool2d(g, x.buffer(), y);
        return Autograd.record(Tensor.wrap(be, y, x.dim(0), x.dim(1), g.outH(), g.outW()), "avg_pool2d",
                gy -> {
                    GradSink gx = x.gradSink();
                    if (gx.needed()) {
                        be.avgPool2dBackward(g, gy, gx.buffer(), gx.accumulate());
                    }
                }, x);
    }

    private static PoolGeometry geometry(String site, Tensor x, int kernel, int stride, int pad) {
        Checks.rank(site, "pooling input", x, 4);
        try {
            return new PoolGeometry(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), kernel, kernel, stride, stride, pad, pad);
        } catch (ShapeException e) {
            throw new ShapeException(Checks.at(site) + e.getMessage());
        }
    }
}

package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/** Dense LPM: y (B, O) = x (B, D) w^T (O, D) + b (O). */
public final class DenseOp {
    private DenseOp() {
    }

    /** x (B, D), w (O, D), b (O) or null, named by site where they do not fit; shared with NrpmDenseOp. */
    static void checkShapes(String site, Tensor x, Tensor w, Tensor b) {
        Checks.rank(site, "input", x, 2);
        Checks.rank(site, "weight", w, 2);
        Checks.dim(site, "weight", w, 1, x.dim(1));
        Checks.bias(site, b, w.dim(0));
    }

    public static Tensor apply(String site, Tensor x, Tensor w, Tensor b) {
        Checks.sameBackend(x, w, b);
        checkShapes(site, x, w, b);
        int batch = x.dim(0);
        int in = x.dim(1);
        int out = w.dim(0);
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized((long) batch * out);
        be.gemm(false, true, batch, out, in, 1f, x.buffer(), w.buffer(), 0f, y);
        if (b != null) {
            be.addChannels(b.buffer(), 1f, y, batch, out, 1);
        }
        return Autograd.record(Tensor.wrap(be, y, batch, out), "dense",
                g -> backward(be, batch, in, out, x, w, b, g), x, w, b);
    }

    /** Shared with the NRPM ops: the gradient of x w^T (+ b) for an upstream gradient g (B, O). */
    static void backward(Backend be, int batch, int in, int out, Tensor x, Tensor w, Tensor b, Buffer g) {
        GradSink gx = x.gradSink();
        if (gx.needed()) {
            be.gemm(false, false, batch, in, out, 1f, g, w.buffer(), gx.beta(), gx.buffer());
        }
        if (w.requiresGrad()) {
            be.gemm(true, false, out, in, batch, 1f, g, x.buffer(), 1f, w.gradBuffer());
        }
        if (b != null && b.requiresGrad()) {
            be.sumChannels(g, b.gradBuffer(), batch, out, 1, true);
        }
    }
}

package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/**
 * Dense hybrid pattern matching (NRPM.md section 3): y (B, O) = lambda * z_LPM + (1 - lambda) * z_NRPM + b,
 * z_LPM = x (B, D) w^T (O, D). The LPM sum is a matrix product; the K reweighting steps run in the
 * backend's fused NRPM kernel, which keeps only (3K + 1) values per output for the backward pass.
 */
public final class NrpmDenseOp {
    private NrpmDenseOp() {
    }

    public static Tensor apply(String site, NrpmSpec spec, Tensor x, Tensor w, Tensor b, Tensor lambda) {
        Checks.sameBackend(x, w, b, lambda);
        DenseOp.checkShapes(site, x, w, b);
        int batch = x.dim(0);
        int in = x.dim(1);
        int out = w.dim(0);
        if (lambda.size() != 1) {
            throw new dev.nrpm.error.ShapeException(Checks.at(site) + "lambda must hold one value, got shape "
                    + lambda.shapeString());
        }
        Checks.finite(site, "input to NRPM", x);
        Backend be = x.backend();
        long n = (long) batch * out;
        boolean record = Autograd.needsGrad(x, w, b, lambda);
        Buffer y = be.allocateUninitialized(n);
        Buffer state = record ? be.allocateUninitialized(spec.stateLength(n)) : null;
        be.nrpmDense(spec, batch, in, out, x.buffer(), w.buffer(), b == null ? null : b.buffer(),
                lambda.buffer(), y, state);
        return Autograd.record(Tensor.wrap(be, y, batch, out), "nrpm_dense", g -> {
            GradSink gx = x.gradSink();   // x and w take the LPM sum's share too: one backward pass
            be.nrpmDenseBackward(spec, batch, in, out, x.buffer(), w.buffer(), lambda.buffer(), state, g,
                    gx.buffer(), gx.accumulate(), w.gradTarget(), lambda.gradTarget());
            if (b != null && b.requiresGrad()) {   // the bias sees the plain upstream gradient
                be.sumChannels(g, b.gradBuffer(), batch, out, 1, true);
            }
            state.close();
        }, x, w, b, lambda);
    }
}

package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/**
 * Dropout with a mask drawn from the counter-based generator: deterministic for a seed, the same
 * on every backend, and never stored (the backward redraws it). {@code inner} = 1 drops elements,
 * inner = H*W drops whole channels (Dropout2d).
 */
public final class DropoutOp {
    private DropoutOp() {
    }

    public static Tensor apply(String site, Tensor x, float p, long seed, int inner) {
        if (!(p >= 0 && p < 1)) {
            throw new InvalidSettingException(Checks.at(site) + "dropout probability must be in [0, 1), got " + p);
        }
        if (inner < 1 || x.size() % inner != 0) {
            throw new InvalidSettingException(Checks.at(site) + "dropout group size " + inner
                    + " does not divide " + x.size() + " elements");
        }
        if (p == 0) {
            return x;
        }
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        be.dropout(x.buffer(), y, x.size(), inner, p, seed, false);
        return Autograd.record(Tensor.wrap(be, y, x.shape()), "dropout", g -> {
            GradSink gx = x.gradSink();
            if (gx.needed()) {
                be.dropout(g, gx.buffer(), x.size(), inner, p, seed, gx.accumulate());
            }
        }, x);
    }
}

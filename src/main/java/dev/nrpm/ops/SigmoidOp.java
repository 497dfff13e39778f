package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.tensor.Tensor;

/** y = 1 / (1 + exp(-x)): turns a raw lambda parameter into a lambda in (0, 1). */
public final class SigmoidOp {
    private SigmoidOp() {
    }

    public static Tensor apply(Tensor x) {
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        be.map(UnaryOp.SIGMOID, x.buffer(), y, x.size());
        return Autograd.record(Tensor.wrap(be, y, x.shape()), "sigmoid",
                g -> Grads.add(x, gx -> be.zip(BinaryOp.SIGMOID_GRAD, y, g, gx, x.size())), x);
    }
}

package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.tensor.Tensor;

/** y = max(x, 0); the gradient passes where x > 0. */
public final class ReluOp {
    private ReluOp() {
    }

    public static Tensor apply(Tensor x) {
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        be.map(UnaryOp.RELU, x.buffer(), y, x.size());
        return Autograd.record(Tensor.wrap(be, y, x.shape()), "relu",
                g -> Grads.add(x, gx -> be.zip(BinaryOp.RELU_GRAD, x.buffer(), g, gx, x.size())), x);
    }
}

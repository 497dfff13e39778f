package dev.nrpm.ops;

import dev.nrpm.tensor.Autograd;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;

/** Elementwise add, subtract, multiply of same-shape tensors, and scaling by a constant. */
public final class ArithmeticOp {
    private ArithmeticOp() {
    }

    public static Tensor add(Tensor a, Tensor b) {
        return addScaled(a, b, 1f, "add");
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return addScaled(a, b, -1f, "sub");
    }

    /** a + s * b, s = +1 or -1. */
    private static Tensor addScaled(Tensor a, Tensor b, float s, String name) {
        Checks.sameBackend(a, b);
        Checks.sameShape(name, a, b);
        Backend be = a.backend();
        Buffer y = be.allocateUninitialized(a.size());
        be.zip(s > 0 ? BinaryOp.ADD : BinaryOp.SUB, a.buffer(), b.buffer(), y, a.size());
        return Autograd.record(Tensor.wrap(be, y, a.shape()), name, g -> {
            GradSink ga = a.gradSink();
            if (ga.needed()) {
                be.axpby(1f, g, ga.beta(), ga.buffer(), a.size());
            }
            GradSink gb = b.gradSink();      // after a's write: b may be a
            if (gb.needed()) {
                be.axpby(s, g, gb.beta(), gb.buffer(), b.size());
            }
        }, a, b);
    }

    /**
     * relu(a + b) as one op (ResNet's residual join): one pass forward, the sum never stored; the
     * ReLU's gradient is masked once, straight into a's gradient when that is its first.
     */
    public static Tensor addRelu(Tensor a, Tensor b) {
        Checks.sameBackend(a, b);
        Checks.sameShape("add_relu", a, b);
        Backend be = a.backend();
        long n = a.size();
        Buffer y = be.allocateUninitialized(n);
        be.zip(BinaryOp.ADD_RELU, a.buffer(), b.buffer(), y, n);
        return Autograd.record(Tensor.wrap(be, y, a.shape()), "add_relu", g -> {
            GradSink ga = a.gradSink();
            if (ga.needed() && !ga.accumulate()) {
                be.zip(BinaryOp.RELU_GRAD, y, g, ga.buffer(), n);
                GradSink gb = b.gradSink();      // after a's write: b may be a
                if (gb.needed()) {
                    be.axpby(1f, ga.buffer(), gb.beta(), gb.buffer(), n);
                }
                return;
            }
            try (Buffer masked = be.allocateUninitialized(n)) {
                be.zip(BinaryOp.RELU_GRAD, y, g, masked, n);
                if (ga.needed()) {
                    be.axpby(1f, masked, 1f, ga.buffer(), n);
                }
                GradSink gb = b.gradSink();
                if (gb.needed()) {
                    be.axpby(1f, masked, gb.beta(), gb.buffer(), n);
                }
            }
        }, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Checks.sameBackend(a, b);
        Checks.sameShape("mul", a, b);
        Backend be = a.backend();
        Buffer y = be.allocateUninitialized(a.size());
        be.zip(BinaryOp.MUL, a.buffer(), b.buffer(), y, a.size());
        return Autograd.record(Tensor.wrap(be, y, a.shape()), "mul", g -> {
            Grads.add(a, ga -> be.zip(BinaryOp.MUL, g, b.buffer(), ga, a.size()));
            Grads.add(b, gb -> be.zip(BinaryOp.MUL, g, a.buffer(), gb, b.size()));
        }, a, b);
    }

    public static Tensor scale(Tensor x, float alpha) {
        Backend be = x.backend();
        Buffer y = be.allocateUninitialized(x.size());
        be.axpby(alpha, x.buffer(), 0f, y, x.size());
        return Autograd.record(Tensor.wrap(be, y, x.shape()), "scale", g -> {
            GradSink gx = x.gradSink();
            if (gx.needed()) {
                be.axpby(alpha, g, gx.beta(), gx.buffer(), x.size());
            }
        }, x);
    }
}

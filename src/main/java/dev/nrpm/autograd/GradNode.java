package dev.nrpm.autograd;

import dev.nrpm.tensor.Tensor;

/** The record of how a tensor was made: its inputs and the rule that sends its gradient to them. */
public final class GradNode {
    private final String op;
    private final Tensor[] inputs;
    private final BackwardFn fn;

    GradNode(String op, Tensor[] inputs, BackwardFn fn) {
        this.op = op;
        this.inputs = inputs;
        this.fn = fn;
    }

    public String op() {
        return op;
    }

    public Tensor[] inputs() {
        return inputs;
    }

    BackwardFn fn() {
        return fn;
    }
}

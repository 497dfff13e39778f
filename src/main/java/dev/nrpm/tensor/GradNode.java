package dev.nrpm.tensor;


/** The record of how a tensor was made: its inputs and the rule that sends its gradient to them. */
final class GradNode {
    private final String op;
    private final Tensor[] inputs;
    private final BackwardFn fn;

    GradNode(String op, Tensor[] inputs, BackwardFn fn) {
        this.op = op;
        this.inputs = inputs;
        this.fn = fn;
    }

    String op() {
        return op;
    }

    Tensor[] inputs() {
        return inputs;
    }

    BackwardFn fn() {
        return fn;
    }
}

package dev.nrpm.backend;

/** Elementwise y = f(a, b). */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN,
    /** y = b where a > 0, else 0: ReLU's backward with a = its input, b = the upstream gradient. */
    RELU_GRAD,
    /** y = b * a * (1 - a): sigmoid's backward with a = its output, b = the upstream gradient. */
    SIGMOID_GRAD,
    /** y = relu(a + b), with this backend's {@link UnaryOp#RELU}: ResNet's residual join in one pass. */
    ADD_RELU
}

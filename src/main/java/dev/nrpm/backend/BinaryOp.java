package dev.nrpm.backend;

/**
 * Elementwise y = f(a, b), with explicit codes as {@link UnaryOp} (the BINARY_* constants of
 * kernels/elementwise.cu).
 */
public enum BinaryOp {
    ADD(0), SUB(1), MUL(2), MAX(3), MIN(4),
    /** y = b where a > 0, else 0: ReLU's backward with a = its input, b = the upstream gradient. */
    RELU_GRAD(5),
    /** y = b * a * (1 - a): sigmoid's backward with a = its output, b = the upstream gradient. */
    SIGMOID_GRAD(6),
    /** y = relu(a + b), with this backend's {@link UnaryOp#RELU}: ResNet's residual join in one pass. */
    ADD_RELU(7);

    private final int code;

    BinaryOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}

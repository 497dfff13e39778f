package dev.nrpm.backend;

/**
 * Elementwise y = f(x): the functions the layers, the attacks and training call. Each has an
 * explicit code, the one the GPU receives: the UNARY_* constants of kernels/elementwise.cu, which
 * traps on any other (ElementwiseCodesTest keeps the two tables equal).
 */
public enum UnaryOp {
    SIGN(0), RELU(1), SIGMOID(2), SQRT(3), SQUARE(4), RECIPROCAL(5);

    private final int code;

    UnaryOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}

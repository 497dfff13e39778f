package dev.nrpm.nn;

import dev.nrpm.ops.Pool2dOp;
import dev.nrpm.tensor.Tensor;

public final class MaxPool2d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;

    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Pool2dOp.max(site(), x, kernel, stride, padding);
    }
}

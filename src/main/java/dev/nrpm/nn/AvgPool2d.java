package dev.nrpm.nn;

import dev.nrpm.ops.Pool2dOp;
import dev.nrpm.tensor.Tensor;

public final class AvgPool2d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;

    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Pool2dOp.avg(site(), x, kernel, stride, padding);
    }
}

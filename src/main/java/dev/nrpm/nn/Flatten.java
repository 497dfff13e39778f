package dev.nrpm.nn;

import dev.nrpm.tensor.Tensor;

/** (N, ...) to (N, rest). */
public final class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.reshape(x.dim(0), -1);
    }
}

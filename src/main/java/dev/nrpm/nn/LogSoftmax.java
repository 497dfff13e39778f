package dev.nrpm.nn;

import dev.nrpm.ops.F;
import dev.nrpm.tensor.Tensor;

public final class LogSoftmax extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return F.logSoftmax(x);
    }
}

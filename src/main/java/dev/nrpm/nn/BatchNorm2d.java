package dev.nrpm.nn;

import dev.nrpm.ops.BatchNormOp;
import dev.nrpm.tensor.Tensor;

/** Batch normalization with PyTorch's names and defaults (momentum 0.1, eps 1e-5). */
public final class BatchNorm2d extends Module {
    private final float momentum;
    private final float eps;

    public BatchNorm2d(ParamInit init, int channels) {
        this(init, channels, 0.1f, 1e-5f);
    }

    public BatchNorm2d(ParamInit init, int channels, float momentum, float eps) {
        this.momentum = momentum;
        this.eps = eps;
        addParameter("weight", init.constant(1f, channels));
        addParameter("bias", init.constant(0f, channels));
        addBuffer("running_mean", init.constant(0f, channels));
        addBuffer("running_var", init.constant(1f, channels));
    }

    @Override
    public Tensor forward(Tensor x) {
        return NonFiniteTrace.layerOutput(this, BatchNormOp.apply(site(), x, param("weight"), param("bias"),
                buf("running_mean"), buf("running_var"), isTraining(), momentum, eps));
    }

    /** relu(forward(x)), computed as one op (BatchNormOp with relu). */
    public Tensor forwardRelu(Tensor x) {
        return NonFiniteTrace.layerOutput(this, BatchNormOp.apply(site(), x, param("weight"), param("bias"),
                buf("running_mean"), buf("running_var"), isTraining(), momentum, eps, true));
    }
}

package dev.nrpm.nn;

import dev.nrpm.backend.Backend;
import dev.nrpm.ops.DenseOp;
import dev.nrpm.ops.NrpmDenseOp;
import dev.nrpm.tensor.Tensor;

/** Dense layer (PyTorch's nn.Linear, same parameter names): x (B, in) to (B, out), weight (out, in), bias (out); LPM or NRPM. */
public final class Dense extends MatchingLayer {
    private final int in;
    private final int out;

    public Dense(ParamInit init, int in, int out, boolean bias) {
        this.in = in;
        this.out = out;
        float bound = (float) (1.0 / Math.sqrt(in));
        addParameter("weight", init.uniform(bound, out, in));
        if (bias) {
            addParameter("bias", init.uniform(bound, out));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        if (activePatternMatching().isLpm()) {
            return NonFiniteTrace.layerOutput(this, DenseOp.apply(site(), x, param("weight"), param("bias")));
        }
        return NonFiniteTrace.layerOutput(this, NrpmDenseOp.apply(site(), activePatternMatching().spec(), x,
                param("weight"), param("bias"), lambdaTensor()));
    }

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    @Override
    protected Backend backend() {
        return param("weight").backend();
    }

    @Override
    public String toString() {
        return "Dense(" + in + " -> " + out + ", " + patternMatching() + ")";
    }
}

package dev.nrpm.nn;

import dev.nrpm.backend.Backend;
import dev.nrpm.ops.Conv2dOp;
import dev.nrpm.ops.NrpmConv2dOp;
import dev.nrpm.tensor.Tensor;

/** 2-D convolution, square kernel: weight (out, in, k, k), bias (out) optional; LPM or NRPM. */
public final class Conv2d extends MatchingLayer {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;

    public Conv2d(ParamInit init, int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        float bound = (float) (1.0 / Math.sqrt((double) inChannels * kernel * kernel));
        addParameter("weight", init.uniform(bound, outChannels, inChannels, kernel, kernel));
        if (bias) {
            addParameter("bias", init.uniform(bound, outChannels));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        if (activePatternMatching().isLpm()) {
            return NonFiniteTrace.layerOutput(this, Conv2dOp.apply(site(), x, param("weight"), param("bias"), stride,
                    padding));
        }
        return NonFiniteTrace.layerOutput(this, NrpmConv2dOp.apply(site(), activePatternMatching().spec(), x,
                param("weight"), param("bias"), lambdaTensor(), stride, padding));
    }

    public Tensor weight() {
        return param("weight");
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    @Override
    protected Backend backend() {
        return param("weight").backend();
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + " -> " + outChannels + ", k" + kernel + " s" + stride + " p" + padding
                + ", " + patternMatching() + ")";
    }
}

package dev.nrpm.backend;

import dev.nrpm.error.ShapeException;

/**
 * Shape of a 2-D pooling over {@code planes} independent (batch * channel) planes of inH x inW.
 * Windows that overlap the padding ignore padded cells for max pooling and count them as zeros
 * for average pooling (PyTorch's count_include_pad=True).
 */
public record PoolGeometry(int planes, int inH, int inW, int kH, int kW, int strideH, int strideW, int padH, int padW) {

    public PoolGeometry {
        if (planes < 1 || inH < 1 || inW < 1 || kH < 1 || kW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new ShapeException("invalid pooling geometry: planes " + planes + ", input " + inH + "x" + inW
                    + ", window " + kH + "x" + kW + ", stride " + strideH + "x" + strideW + ", padding " + padH + "x" + padW);
        }
        if (padH * 2 > kH || padW * 2 > kW) {
            throw new ShapeException("pooling padding " + padH + "x" + padW + " must be at most half the window " + kH + "x" + kW);
        }
        if (inH + 2 * padH < kH || inW + 2 * padW < kW) {
            throw new ShapeException("pooling window " + kH + "x" + kW + " larger than padded input " + inH + "x" + inW);
        }
    }

    public int outH() {
        return (inH + 2 * padH - kH) / strideH + 1;
    }

    public int outW() {
        return (inW + 2 * padW - kW) / strideW + 1;
    }

    public long inputSize() {
        return (long) planes * inH * inW;
    }

    public long outputSize() {
        return (long) planes * outH() * outW();
    }
}

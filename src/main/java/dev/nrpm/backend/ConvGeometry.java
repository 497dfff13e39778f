package dev.nrpm.backend;

import dev.nrpm.error.ShapeException;

/**
 * Shape of one 2-D convolution, NCHW layouts throughout:
 * input (batch, inC, inH, inW), weight (outC, inC, kH, kW), output (batch, outC, outH, outW).
 * Padding is zeros; padded positions are ordinary terms of the sum (they count in D for NRPM).
 */
public record ConvGeometry(int batch, int inC, int inH, int inW, int outC, int kH, int kW,
                           int strideH, int strideW, int padH, int padW) {

    public ConvGeometry {
        if (batch < 1 || inC < 1 || inH < 1 || inW < 1 || outC < 1 || kH < 1 || kW < 1) {
            throw new ShapeException("convolution sizes must be positive: " + describe(batch, inC, inH, inW, outC, kH, kW));
        }
        if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new ShapeException("convolution stride must be >= 1 and padding >= 0, got stride "
                    + strideH + "x" + strideW + ", padding " + padH + "x" + padW);
        }
        if (inH + 2 * padH < kH || inW + 2 * padW < kW) {
            throw new ShapeException("kernel " + kH + "x" + kW + " larger than padded input "
                    + (inH + 2 * padH) + "x" + (inW + 2 * padW));
        }
    }

    public static ConvGeometry square(int batch, int inC, int inH, int inW, int outC, int k, int stride, int pad) {
        return new ConvGeometry(batch, inC, inH, inW, outC, k, k, stride, stride, pad, pad);
    }

    public int outH() {
        return (inH + 2 * padH - kH) / strideH + 1;
    }

    public int outW() {
        return (inW + 2 * padW - kW) / strideW + 1;
    }

    /** Terms per output, D = inC * kH * kW. */
    public int patchSize() {
        return inC * kH * kW;
    }

    public long inputSize() {
        return (long) batch * inC * inH * inW;
    }

    public long weightSize() {
        return (long) outC * inC * kH * kW;
    }

    public long outputSize() {
        return (long) batch * outC * outH() * outW();
    }

    public ConvGeometry withBatch(int newBatch) {
        return new ConvGeometry(newBatch, inC, inH, inW, outC, kH, kW, strideH, strideW, padH, padW);
    }

    private static String describe(int b, int c, int h, int w, int o, int kh, int kw) {
        return "batch " + b + ", in " + c + "x" + h + "x" + w + ", out channels " + o + ", kernel " + kh + "x" + kw;
    }
}

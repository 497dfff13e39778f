package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import java.util.Arrays;

/**
 * LPM convolution for layers with few channels, without BLAS. The forward builds each patch row of
 * one image once (in L1) and adds it, scaled by W[o, d], into one accumulator row per output
 * channel; the input gradient of a "same" convolution adds each gradient plane, shifted to the
 * input cells it reaches, into one accumulator per input channel. With 16 channels or fewer the
 * SGEMM of im2col is too thin for OpenBLAS to block well, and its columns are D/C times the size of
 * x; these loops index their two arrays alike, so C2 vectorizes them. Against im2col + SGEMM on the
 * ResNet-18 tiny-width and LeNet shapes (bench/RESULTS.md): forward 1.6-7x faster, slower from 32
 * channels on.
 */
final class FewChannelConv {
    /** The most accumulator channels (output for the forward, input for gx) this path takes. */
    static final int MAX_OUT_CHANNELS = 16;

    private FewChannelConv() {
    }

    static boolean suits(ConvGeometry g) {
        return g.outC() <= MAX_OUT_CHANNELS;
    }

    /** y (B, O, Ho, Wo) = conv2d(x, w), parallel over images; y is overwritten. */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] y) {
        int d = g.patchSize();
        int p = g.outH() * g.outW();
        int o = g.outC();
        CpuParallel.forRange(g.batch(), 1, (chunk, from, to) -> {
            float[] row = new float[p];
            float[][] acc = new float[o][p];
            for (int b = from; b < to; b++) {
                for (float[] a : acc) {
                    Arrays.fill(a, 0f);
                }
                for (int k = 0; k < d; k++) {
                    Im2col.row(g, x, b, k, row);
                    int oc = 0;
                    for (; oc + 2 <= o; oc += 2) {
                        addScaled2(acc[oc], w[oc * d + k], acc[oc + 1], w[(oc + 1) * d + k], row, 0, p);
                    }
                    if (oc < o) {
                        addScaled(acc[oc], w[oc * d + k], row, 0, p);
                    }
                }
                for (int oc = 0; oc < o; oc++) {
                    System.arraycopy(acc[oc], 0, y, (b * o + oc) * p, p);
                }
            }
        });
    }

    /** Whether {@link #inputGrad} takes this layer: a {@link Im2col#flat} geometry with few input channels. */
    static boolean suitsInputGrad(ConvGeometry g) {
        return Im2col.flat(g) && g.inC() <= MAX_OUT_CHANNELS;
    }

    /**
     * gx += dL/dx for a {@link #suitsInputGrad} layer, parallel over images: the transpose of the
     * forward. For each output channel o and tap (i, j), gy's plane is shifted to the input cells it
     * reaches (one arraycopy, the wrap gaps zeroed) and added, scaled by W[o, c, i, j], into one
     * accumulator plane per input channel c, which starts as gx's plane.
     */
    static void inputGrad(ConvGeometry g, float[] w, float[] gy, float[] gx) {
        int c = g.inC();
        int o = g.outC();
        int khw = g.kH() * g.kW();
        int p = g.outH() * g.outW();
        int hw = g.inH() * g.inW();
        Im2col.FlatTap[] taps = Im2col.flatTaps(g);
        CpuParallel.forRange(g.batch(), 1, (chunk, from, to) -> {
            float[] shifted = new float[hw];
            float[][] acc = new float[c][];
            for (int ci = 0; ci < c; ci++) {
                acc[ci] = new float[hw];
            }
            for (int b = from; b < to; b++) {
                for (int ci = 0; ci < c; ci++) {
                    System.arraycopy(gx, (b * c + ci) * hw, acc[ci], 0, hw);
                }
                for (int oc = 0; oc < o; oc++) {
                    int gyPlane = (b * o + oc) * p;
                    for (int k = 0; k < khw; k++) {
                        Im2col.FlatTap tap = taps[k];
                        if (tap.hi() <= tap.lo()) {
                            continue;
                        }
                        int lo = tap.lo() + tap.off();
                        int hi = tap.hi() + tap.off();
                        System.arraycopy(gy, gyPlane + tap.lo(), shifted, lo, hi - lo);
                        tap.zeroGaps(shifted, g.outW(), tap.off());   // wrapped cells get + 0
                        int ci = 0;
                        for (; ci + 2 <= c; ci += 2) {
                            addScaled2(acc[ci], w[(oc * c + ci) * khw + k], acc[ci + 1],
                                    w[(oc * c + ci + 1) * khw + k], shifted, lo, hi);
                        }
                        if (ci < c) {
                            addScaled(acc[ci], w[(oc * c + ci) * khw + k], shifted, lo, hi);
                        }
                    }
                }
                for (int ci = 0; ci < c; ci++) {
                    System.arraycopy(acc[ci], 0, gx, (b * c + ci) * hw, hw);
                }
            }
        });
    }

    private static void addScaled(float[] acc, float w, float[] row, int from, int to) {
        for (int q = from; q < to; q++) {
            acc[q] += w * row[q];
        }
    }

    /** Two outputs per pass over the row: one load of row[q] for two multiply-adds. */
    private static void addScaled2(float[] acc0, float w0, float[] acc1, float w1, float[] row, int from, int to) {
        for (int q = from; q < to; q++) {
            float v = row[q];
            acc0[q] += w0 * v;
            acc1[q] += w1 * v;
        }
    }
}

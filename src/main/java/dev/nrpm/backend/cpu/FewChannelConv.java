package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import java.util.Arrays;

/**
 * LPM convolution forward for layers with few output channels, without BLAS: per image, each patch
 * row is built once (in L1) and added, scaled by W[o, d], into one accumulator row per output
 * channel. With O <= 16 an SGEMM of shape (O x D) (D x images*P) is too thin for OpenBLAS to block
 * well, and the columns it reads are several times the size of x; these loops index their two
 * arrays alike, so C2 vectorizes them. Measured against im2col + SGEMM on the ResNet-18 tiny-width
 * and LeNet shapes (bench/RESULTS.md): 1.4-2.3x faster with O <= 16, slower from O = 32 on.
 */
final class FewChannelConv {
    /** The most output channels this path takes; wider layers go to im2col + SGEMM. */
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
                        addScaled2(acc[oc], w[oc * d + k], acc[oc + 1], w[(oc + 1) * d + k], row, p);
                    }
                    if (oc < o) {
                        addScaled(acc[oc], w[oc * d + k], row, p);
                    }
                }
                for (int oc = 0; oc < o; oc++) {
                    System.arraycopy(acc[oc], 0, y, (b * o + oc) * p, p);
                }
            }
        });
    }

    private static void addScaled(float[] acc, float w, float[] row, int n) {
        for (int q = 0; q < n; q++) {
            acc[q] += w * row[q];
        }
    }

    /** Two outputs per pass over the row: one load of row[q] for two multiply-adds. */
    private static void addScaled2(float[] acc0, float w0, float[] acc1, float w1, float[] row, int n) {
        for (int q = 0; q < n; q++) {
            float v = row[q];
            acc0[q] += w0 * v;
            acc1[q] += w1 * v;
        }
    }
}

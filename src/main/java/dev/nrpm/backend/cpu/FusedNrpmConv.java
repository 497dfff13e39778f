package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.pm.NrpmSpec;

/**
 * Convolutional NRPM on the CPU, fused with implicit im2col: the patch of one output pixel
 * (D = C kh kw values, padded positions as zeros that count in D) is gathered into a D-float
 * scratch array and treated as a dense input row whose output lanes are the O channels. Memory is
 * O(inputs + weights + outputs + state) plus O(D) scratch per thread.
 */
final class FusedNrpmConv {
    private FusedNrpmConv() {
    }

    /** Gathers the patch of output pixel (py, px) of image b into patch[0, D); zeros where padded. */
    static void gather(ConvGeometry g, float[] x, int b, int py, int px, float[] patch) {
        int d = 0;
        for (int c = 0; c < g.inC(); c++) {
            int plane = (b * g.inC() + c) * g.inH();
            for (int i = 0; i < g.kH(); i++) {
                int iy = py * g.strideH() - g.padH() + i;
                boolean rowIn = iy >= 0 && iy < g.inH();
                int rowBase = (plane + iy) * g.inW();
                for (int j = 0; j < g.kW(); j++) {
                    int ix = px * g.strideW() - g.padW() + j;
                    patch[d++] = rowIn && ix >= 0 && ix < g.inW() ? x[rowBase + ix] : 0f;
                }
            }
        }
    }

    /** Adds patch gradients back into the image gradient gxImage (C, H, W); padded positions drop. */
    static void scatter(ConvGeometry g, float[] gpatch, int py, int px, float[] gxImage) {
        int d = 0;
        for (int c = 0; c < g.inC(); c++) {
            for (int i = 0; i < g.kH(); i++) {
                int iy = py * g.strideH() - g.padH() + i;
                boolean rowIn = iy >= 0 && iy < g.inH();
                int rowBase = (c * g.inH() + iy) * g.inW();
                for (int j = 0; j < g.kW(); j++, d++) {
                    int ix = px * g.strideW() - g.padW() + j;
                    if (rowIn && ix >= 0 && ix < g.inW()) {
                        gxImage[rowBase + ix] += gpatch[d];
                    }
                }
            }
        }
    }

    /** x (B, C, H, W), w (O, C, kh, kw), z0/y (B, O, Ho, Wo), state planes of the same layout. */
    static void forward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float[] bias, float lambda,
                        float[] z0, float[] y, float[] state) {
        int out = g.outC();
        int d = g.patchSize();
        int pixels = g.outH() * g.outW();
        int n = (int) g.outputSize();
        float[][] wT = spec.k() > 0 ? NrpmRow.transpose(w, out, d) : null;
        CpuParallel.forRange(g.batch() * pixels, 8, (chunk, from, to) -> {
            NrpmRow row = new NrpmRow(spec, out);
            float[] patch = new float[d];
            int[] nz = new int[d];
            float[] zK = new float[out];
            for (int bp = from; bp < to; bp++) {
                int b = bp / pixels;
                int p = bp % pixels;
                int offset = b * out * pixels + p;
                if (spec.k() == 0) {
                    for (int j = 0; j < out; j++) {
                        zK[j] = z0[offset + j * pixels];
                        if (state != null) {
                            state[offset + j * pixels] = zK[j];
                        }
                    }
                } else {
                    gather(g, x, b, p / g.outW(), p % g.outW(), patch);
                    int count = NrpmRow.nonzeros(patch, d, nz);
                    row.run(wT, patch, nz, count, d, z0, offset, pixels, zK, state, n);
                }
                for (int j = 0; j < out; j++) {
                    int idx = offset + j * pixels;
                    y[idx] = lambda * z0[idx] + (1f - lambda) * zK[j] + (bias == null ? 0f : bias[j]);
                }
            }
        });
    }

    /** As {@link FusedNrpmDense#backward}, for the conv layouts. */
    static void backward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float lambda, float[] state,
                         float[] gy, float[] gx, float[] gw, float[] gLambda) {
        int out = g.outC();
        int d = g.patchSize();
        int pixels = g.outH() * g.outW();
        int n = (int) g.outputSize();
        int k = spec.k();
        int imageSize = g.inC() * g.inH() * g.inW();
        boolean terms = k > 0 && (gx != null || gw != null);
        float[][] wRows = terms ? NrpmRow.rows(w, out, d) : null;
        int chunks = CpuParallel.chunks(g.batch(), 1);
        float[][][] gwParts = new float[chunks][][];
        double[] lambdaParts = new double[chunks];
        CpuParallel.forRange(g.batch(), 1, (chunk, from, to) -> {
            float[] gz = new float[k + 1];
            float[] patch = new float[d];
            float[] gpatch = new float[d];
            float[] gt = new float[d];
            float[] gxImage = terms && gx != null ? new float[imageSize] : null;
            float[][] gwLocal = terms && gw != null ? new float[out][d] : null;
            double gl = 0;
            for (int b = from; b < to; b++) {
                if (gxImage != null) {
                    java.util.Arrays.fill(gxImage, 0f);
                }
                for (int p = 0; p < pixels; p++) {
                    int offset = b * out * pixels + p;
                    if (terms) {
                        gather(g, x, b, p / g.outW(), p % g.outW(), patch);
                        java.util.Arrays.fill(gpatch, 0f);
                    }
                    for (int o = 0; o < out; o++) {
                        int idx = offset + o * pixels;
                        float gv = gy[idx];
                        gl += (double) gv * (state[idx] - state[k * n + idx]);
                        float gz0 = NrpmOutputGrad.chain(spec, state, idx, n, d, lambda, gv, gz);
                        if (!terms) {
                            continue;
                        }
                        float[] wr = wRows[o];
                        NrpmOutputGrad.terms(spec, state, idx, n, d, gz0, gz, wr, patch, gt, d);
                        if (gxImage != null) {
                            for (int i = 0; i < d; i++) {
                                gpatch[i] += gt[i] * wr[i];
                            }
                        }
                        if (gwLocal != null) {
                            float[] gwr = gwLocal[o];
                            for (int i = 0; i < d; i++) {
                                gwr[i] += gt[i] * patch[i];
                            }
                        }
                    }
                    if (gxImage != null) {
                        scatter(g, gpatch, p / g.outW(), p % g.outW(), gxImage);
                    }
                }
                if (gxImage != null) {
                    int base = b * imageSize;
                    for (int i = 0; i < imageSize; i++) {
                        gx[base + i] += gxImage[i];
                    }
                }
            }
            gwParts[chunk] = gwLocal;
            lambdaParts[chunk] = gl;
        });
        for (float[][] part : gwParts) {
            if (part == null) {
                continue;
            }
            for (int o = 0; o < out; o++) {
                float[] pr = part[o];
                int base = o * d;
                for (int i = 0; i < d; i++) {
                    gw[base + i] += pr[i];
                }
            }
        }
        if (gLambda != null) {
            double sum = 0;
            for (double v : lambdaParts) {
                sum += v;
            }
            gLambda[0] += (float) sum;
        }
    }
}

package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;

/**
 * Convolutional NRPM on the CPU, fused with implicit im2col: the patch of one output pixel
 * (D = C kh kw values, padded positions as zeros that count in D) is gathered into a D-float
 * scratch array and treated as a dense input row whose output lanes are the O channels. Where
 * channels (forward) or terms (backward) are few, one image's patches are laid out as D rows of its
 * P pixels instead, and the lanes run over pixels ({@link Lanes}). Memory is O(inputs + weights +
 * outputs + state) plus O(D) scratch per thread, O(D P) in the pixel layout.
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

    /**
     * Which SIMD lanes the vectorized loops run over. CHANNELS: in the forward the O output channels
     * of one pixel (whose zero inputs, ReLU's and the padding's, are then skipped), in the backward
     * the D terms of one output. PIXELS: the P output pixels of one (image, channel), in both; for
     * where O or D are few (8 channels at ResNet-18's width 8 left the loops mostly overhead).
     */
    enum Lanes { CHANNELS, PIXELS }

    /**
     * The system property nrpm.cpu.convLanes (channels or pixels) forces one layout, for
     * benchmarks; otherwise {@link #forwardLanes} and {@link #backwardLanes} choose.
     */
    private static final Lanes FORCED = forcedLanes(System.getProperty("nrpm.cpu.convLanes", "auto"));

    private static Lanes forcedLanes(String v) {
        switch (v) {
            case "auto": return null;
            case "channels": return Lanes.CHANNELS;
            case "pixels": return Lanes.PIXELS;
            default: throw new IllegalArgumentException("nrpm.cpu.convLanes: expected auto, channels or pixels, got " + v);
        }
    }

    /**
     * Forward: channels unless there are fewer than 32 of them and at least twice as many pixels.
     * Channels also at 64 (where pixels measured faster on dense inputs): the channel lanes skip
     * zero inputs, about half of them after a ReLU, the pixel lanes cannot.
     */
    static Lanes forwardLanes(ConvGeometry g) {
        if (FORCED != null) {
            return FORCED;
        }
        int pixels = g.outH() * g.outW();
        return g.outC() < 32 && pixels >= 2 * g.outC() ? Lanes.PIXELS : Lanes.CHANNELS;
    }

    /**
     * Backward: pixels where they give at least twice the lanes of the terms (CHANNELS runs over the
     * D terms). Measured (bench/RESULTS.md): pixels win at D = 25 to 72; at P = 1024, D = 576 (full
     * width layer1) they lose about 10%, at P = 64, D = 250 or 288 more.
     */
    static Lanes backwardLanes(ConvGeometry g) {
        if (FORCED != null) {
            return FORCED;
        }
        int pixels = g.outH() * g.outW();
        return pixels >= 2 * g.patchSize() ? Lanes.PIXELS : Lanes.CHANNELS;
    }

    /** x (B, C, H, W), w (O, C, kh, kw), z0/y (B, O, Ho, Wo), state planes of the same layout. */
    static void forward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float[] bias, float lambda,
                        float[] z0, float[] y, float[] state) {
        forward(spec, g, x, w, bias, lambda, z0, y, state, forwardLanes(g));
    }

    static void forward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float[] bias, float lambda,
                        float[] z0, float[] y, float[] state, Lanes lanes) {
        if (lanes == Lanes.PIXELS && spec.k() > 0) {
            forwardPixelLanes(spec, g, x, w, bias, lambda, z0, y, state);
            return;
        }
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

    /**
     * The forward with lanes over the pixels of one (image, channel): the image's patches as D rows
     * of P values (im2col of one image, D x P floats per thread) play the part of the transposed
     * weights, and the channel's D weights that of the input row, so {@link NrpmRow} runs unchanged
     * (its zero skipping now skips zero weights).
     */
    private static void forwardPixelLanes(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float[] bias,
                                          float lambda, float[] z0, float[] y, float[] state) {
        int out = g.outC();
        int d = g.patchSize();
        int pixels = g.outH() * g.outW();
        int n = (int) g.outputSize();
        float[][] wRows = NrpmRow.rows(w, out, d);
        int[][] nz = new int[out][d];
        int[] nzCount = new int[out];
        for (int o = 0; o < out; o++) {
            nzCount[o] = NrpmRow.nonzeros(wRows[o], d, nz[o]);
        }
        CpuParallel.forRange(g.batch() * out, 1, (chunk, from, to) -> {
            NrpmRow row = new NrpmRow(spec, pixels);
            float[][] cols = new float[d][pixels];
            float[] zK = new float[pixels];
            int image = -1;
            for (int bo = from; bo < to; bo++) {
                int b = bo / out;
                int o = bo % out;
                if (b != image) {
                    im2colImage(g, x, b, cols);
                    image = b;
                }
                int offset = bo * pixels;
                row.run(cols, wRows[o], nz[o], nzCount[o], d, z0, offset, 1, zK, state, n);
                float bo0 = bias == null ? 0f : bias[o];
                for (int p = 0; p < pixels; p++) {
                    y[offset + p] = lambda * z0[offset + p] + (1f - lambda) * zK[p] + bo0;
                }
            }
        });
    }

    /** cols[d][p] = the d-th patch value of output pixel p of image b (0 where padded). */
    static void im2colImage(ConvGeometry g, float[] x, int b, float[][] cols) {
        for (int d = 0; d < g.patchSize(); d++) {
            Im2col.row(g, x, b, d, cols[d]);
        }
    }

    /** As {@link FusedNrpmDense#backward}, for the conv layouts. */
    static void backward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float lambda, float[] state,
                         float[] gy, float[] gx, float[] gw, float[] gLambda) {
        backward(spec, g, x, w, lambda, state, gy, gx, gw, gLambda, backwardLanes(g));
    }

    /**
     * Lanes as in the forward: CHANNELS runs the term gradients of one output at a time with lanes
     * over its D terms; PIXELS runs them for one term index at a time with lanes over the P pixels of
     * one (image, channel). The state planes do not depend on the forward's choice.
     */
    static void backward(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float lambda, float[] state,
                         float[] gy, float[] gx, float[] gw, float[] gLambda, Lanes lanes) {
        if (lanes == Lanes.PIXELS && spec.k() > 0 && (gx != null || gw != null)) {
            backwardPixelLanes(spec, g, x, w, lambda, state, gy, gx, gw, gLambda);
            return;
        }
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
        addParts(gwParts, gw, out, d);
        addLambda(lambdaParts, gLambda);
    }

    private static void backwardPixelLanes(NrpmSpec spec, ConvGeometry g, float[] x, float[] w, float lambda,
                                           float[] state, float[] gy, float[] gx, float[] gw, float[] gLambda) {
        int out = g.outC();
        int d = g.patchSize();
        int pixels = g.outH() * g.outW();
        int n = (int) g.outputSize();
        int k = spec.k();
        boolean l1 = spec.function() == WeightFunction.L1;
        float eps = spec.eps();
        float[][] wRows = NrpmRow.rows(w, out, d);
        int chunks = CpuParallel.chunks(g.batch(), 1);
        float[][][] gwParts = new float[chunks][][];
        double[] lambdaParts = new double[chunks];
        CpuParallel.forRange(g.batch(), 1, (chunk, from, to) -> {
            float[][] cols = new float[d][pixels];
            float[][] gcols = gx != null ? new float[d][pixels] : null;
            float[][] gwLocal = gw != null ? new float[out][d] : null;
            float[] gz = new float[k + 1];
            float[] gz0 = new float[pixels];
            float[] gt = new float[pixels];
            // per step and pixel: z(k)/D, z(k+1), and the two coefficients of termGradLanes
            float[][] zd = new float[k][pixels];
            float[][] zNext = new float[k][pixels];
            float[][] c1 = new float[k][pixels];
            float[][] c2 = new float[k][pixels];
            boolean[] active = new boolean[k];
            double gl = 0;
            for (int b = from; b < to; b++) {
                im2colImage(g, x, b, cols);
                if (gcols != null) {
                    for (float[] row : gcols) {
                        java.util.Arrays.fill(row, 0f);
                    }
                }
                for (int o = 0; o < out; o++) {
                    int offset = (b * out + o) * pixels;
                    java.util.Arrays.fill(active, false);
                    for (int p = 0; p < pixels; p++) {
                        int idx = offset + p;
                        float gv = gy[idx];
                        gl += (double) gv * (state[idx] - state[k * n + idx]);
                        gz0[p] = NrpmOutputGrad.chain(spec, state, idx, n, d, lambda, gv, gz);
                        for (int step = 0; step < k; step++) {
                            // the per-output scalars of NrpmOutputGrad.terms, computed the same way
                            float gs = gz[step + 1];
                            float z = state[step * n + idx];
                            float zn = state[(step + 1) * n + idx];
                            float s0 = state[(k + 1 + step) * n + idx];
                            float a = gs * d / s0;
                            zd[step][p] = z / d;
                            zNext[step][p] = zn;
                            c1[step][p] = l1 ? a * eps : a;
                            c2[step][p] = l1 ? a * (zn / d - zd[step][p]) : gs / s0;
                            active[step] |= gs != 0f;
                        }
                    }
                    float[] wr = wRows[o];
                    float[] gwr = gwLocal == null ? null : gwLocal[o];
                    for (int i = 0; i < d; i++) {
                        float wd = wr[i];
                        float[] xl = cols[i];
                        System.arraycopy(gz0, 0, gt, 0, pixels);
                        for (int step = 0; step < k; step++) {
                            if (active[step]) {
                                NrpmLanes.termGradLanes(spec, xl, wd, zd[step], zNext[step], c1[step], c2[step], d,
                                        gt, pixels);
                            }
                        }
                        if (gcols != null) {
                            float[] gc = gcols[i];
                            for (int p = 0; p < pixels; p++) {
                                gc[p] += gt[p] * wd;
                            }
                        }
                        if (gwr != null) {
                            gwr[i] += dot(gt, xl, pixels);
                        }
                    }
                }
                if (gcols != null) {
                    col2imImage(g, gcols, b, gx);
                }
            }
            gwParts[chunk] = gwLocal;
            lambdaParts[chunk] = gl;
        });
        addParts(gwParts, gw, out, d);
        addLambda(lambdaParts, gLambda);
    }

    /** gx[image b] += the fold of gcols (D rows of P pixels): each entry back to the input cell it came from. */
    static void col2imImage(ConvGeometry g, float[][] gcols, int b, float[] gx) {
        int d = 0;
        for (int c = 0; c < g.inC(); c++) {
            int plane = (b * g.inC() + c) * g.inH();
            for (int i = 0; i < g.kH(); i++) {
                for (int j = 0; j < g.kW(); j++, d++) {
                    float[] row = gcols[d];
                    int p = 0;
                    for (int py = 0; py < g.outH(); py++) {
                        int iy = py * g.strideH() - g.padH() + i;
                        if (iy < 0 || iy >= g.inH()) {
                            p += g.outW();
                            continue;
                        }
                        int rowBase = (plane + iy) * g.inW();
                        for (int px = 0; px < g.outW(); px++, p++) {
                            int ix = px * g.strideW() - g.padW() + j;
                            if (ix >= 0 && ix < g.inW()) {
                                gx[rowBase + ix] += row[p];
                            }
                        }
                    }
                }
            }
        }
    }

    /** sum a[j] b[j] over [0, n), four partial sums (a float reduction does not vectorize). */
    private static float dot(float[] a, float[] b, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += a[j] * b[j];
            s1 += a[j + 1] * b[j + 1];
            s2 += a[j + 2] * b[j + 2];
            s3 += a[j + 3] * b[j + 3];
        }
        for (; j < n; j++) {
            s0 += a[j] * b[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** gLambda[0] += the sum of the threads' parts (gLambda may be null). */
    private static void addLambda(double[] parts, float[] gLambda) {
        if (gLambda == null) {
            return;
        }
        double sum = 0;
        for (double v : parts) {
            sum += v;
        }
        gLambda[0] += (float) sum;
    }

    /** gw += the sum of the threads' parts (null parts: threads without images). */
    private static void addParts(float[][][] parts, float[] gw, int out, int d) {
        for (float[][] part : parts) {
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
    }
}

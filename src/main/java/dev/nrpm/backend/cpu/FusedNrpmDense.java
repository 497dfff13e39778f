package dev.nrpm.backend.cpu;

import dev.nrpm.matching.NrpmSpec;

/**
 * Dense NRPM on the CPU, fused: memory is O(inputs + weights + outputs + state), never B x O x D.
 * Forward: each thread takes a block of input rows; for one row the K steps run with SIMD lanes
 * over the O output units (each lane its own accumulators), streaming the transposed weights
 * row by row. With few outputs (a classifier's 10) those lanes fill one vector and a scalar tail,
 * so there the lanes run over a block of input rows instead, one output at a time (a term's
 * value x[b][d] w[o][d] is the same product either way). Backward: lanes over the D terms of one
 * output, since every per-output quantity is then known; each thread accumulates its own weight
 * gradient, summed at the end.
 */
final class FusedNrpmDense {
    private FusedNrpmDense() {
    }

    /** x (B, D), w (O, D), z0 (B, O); y (B, O) = lambda z0 + (1 - lambda) zK + bias; state or null. */
    static void forward(NrpmSpec spec, int batch, int in, int out, float[] x, float[] w, float[] bias, float lambda,
                        float[] z0, float[] y, float[] state) {
        if (spec.k() > 0 && lanesOverRows(batch, out)) {
            forwardRowLanes(spec, batch, in, out, x, w, bias, lambda, z0, y, state);
        } else {
            forwardOutputLanes(spec, batch, in, out, x, w, bias, lambda, z0, y, state);
        }
    }

    /** Outputs that fill fewer than two 8-float vectors, and rows enough to fill them instead. */
    static boolean lanesOverRows(int batch, int out) {
        return out < 16 && batch >= 16;
    }

    /** Rows per block of lanes in {@link #forwardRowLanes}. */
    private static final int ROW_LANES = 64;

    /** The forward with SIMD lanes over the O output units of one input row. */
    static void forwardOutputLanes(NrpmSpec spec, int batch, int in, int out, float[] x, float[] w, float[] bias,
                                   float lambda, float[] z0, float[] y, float[] state) {
        int n = batch * out;
        float[][] wT = spec.k() > 0 ? NrpmRow.transpose(w, out, in) : null;
        CpuParallel.forRange(batch, 1, (chunk, from, to) -> {
            NrpmRow row = new NrpmRow(spec, out);
            float[] xRow = new float[in];
            int[] nz = new int[in];
            float[] zK = new float[out];
            for (int b = from; b < to; b++) {
                int base = b * out;
                if (spec.k() == 0) {
                    System.arraycopy(z0, base, zK, 0, out);
                    if (state != null) {
                        System.arraycopy(z0, base, state, base, out);
                    }
                } else {
                    System.arraycopy(x, b * in, xRow, 0, in);
                    int count = NrpmRow.nonzeros(xRow, in, nz);
                    row.run(wT, xRow, nz, count, in, z0, base, 1, zK, state, n);
                }
                for (int j = 0; j < out; j++) {
                    y[base + j] = lambda * z0[base + j] + (1f - lambda) * zK[j] + (bias == null ? 0f : bias[j]);
                }
            }
        });
    }

    /**
     * K > 0: the forward with SIMD lanes over a block of up to {@link #ROW_LANES} input rows, for
     * one output at a time; tasks run block-major so that a thread reuses a block's transposed rows
     * across the outputs.
     */
    static void forwardRowLanes(NrpmSpec spec, int batch, int in, int out, float[] x, float[] w, float[] bias,
                                float lambda, float[] z0, float[] y, float[] state) {
        int n = batch * out;
        int blocks = (batch + ROW_LANES - 1) / ROW_LANES;
        float[][] wRows = NrpmRow.rows(w, out, in);
        int[][] nz = new int[out][in];
        int[] counts = new int[out];
        for (int o = 0; o < out; o++) {
            counts[o] = NrpmRow.nonzeros(wRows[o], in, nz[o]);
        }
        CpuParallel.forRange(blocks * out, 1, (chunk, from, to) -> {
            float[][] xT = new float[in][ROW_LANES];
            float[] zK = new float[ROW_LANES];
            NrpmRow full = new NrpmRow(spec, ROW_LANES);
            NrpmRow tail = null;
            int loaded = -1;
            for (int task = from; task < to; task++) {
                int block = task / out;
                int o = task % out;
                int b0 = block * ROW_LANES;
                int lanes = Math.min(ROW_LANES, batch - b0);
                if (block != loaded) {
                    for (int j = 0; j < lanes; j++) {
                        int xb = (b0 + j) * in;
                        for (int d = 0; d < in; d++) {
                            xT[d][j] = x[xb + d];
                        }
                    }
                    loaded = block;
                }
                NrpmRow row = full;
                if (lanes < ROW_LANES) {
                    tail = tail != null ? tail : new NrpmRow(spec, lanes);
                    row = tail;
                }
                int offset = b0 * out + o;
                row.run(xT, wRows[o], nz[o], counts[o], in, z0, offset, out, zK, state, n);
                float bo = bias == null ? 0f : bias[o];
                for (int j = 0; j < lanes; j++) {
                    int idx = offset + j * out;
                    y[idx] = lambda * z0[idx] + (1f - lambda) * zK[j] + bo;
                }
            }
        });
    }

    /**
     * K > 0: adds the whole gradient of y (through the steps and through the LPM sum z0) into gx
     * (B, D) and gw (O, D) (either may be null) and dL/dlambda into gLambda[0] (may be null).
     */
    static void backward(NrpmSpec spec, int batch, int in, int out, float[] x, float[] w, float lambda,
                         float[] state, float[] gy, float[] gx, float[] gw, float[] gLambda) {
        int n = batch * out;
        int k = spec.k();
        boolean terms = k > 0 && (gx != null || gw != null);
        float[][] wRows = terms ? NrpmRow.rows(w, out, in) : null;
        int chunks = CpuParallel.chunks(batch, 1);
        float[][][] gwParts = new float[chunks][][];
        double[] lambdaParts = new double[chunks];
        CpuParallel.forRange(batch, 1, (chunk, from, to) -> {
            float[] gz = new float[k + 1];
            float[] xRow = new float[in];
            float[] gxRow = new float[in];
            float[] gt = new float[in];
            float[][] gwLocal = terms && gw != null ? new float[out][in] : null;
            double gl = 0;
            for (int b = from; b < to; b++) {
                if (terms) {
                    System.arraycopy(x, b * in, xRow, 0, in);
                    java.util.Arrays.fill(gxRow, 0f);
                }
                for (int o = 0; o < out; o++) {
                    int idx = b * out + o;
                    float g = gy[idx];
                    gl += (double) g * (state[idx] - state[k * n + idx]);
                    float gz0 = NrpmOutputGrad.chain(spec, state, idx, n, in, lambda, g, gz);
                    if (!terms) {
                        continue;
                    }
                    float[] wr = wRows[o];
                    NrpmOutputGrad.terms(spec, state, idx, n, in, gz0, gz, wr, xRow, gt, in);
                    if (gx != null) {
                        for (int d = 0; d < in; d++) {
                            gxRow[d] += gt[d] * wr[d];
                        }
                    }
                    if (gwLocal != null) {
                        float[] gwr = gwLocal[o];
                        for (int d = 0; d < in; d++) {
                            gwr[d] += gt[d] * xRow[d];
                        }
                    }
                }
                if (terms && gx != null) {
                    int xb = b * in;
                    for (int d = 0; d < in; d++) {
                        gx[xb + d] += gxRow[d];
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
                int base = o * in;
                for (int d = 0; d < in; d++) {
                    gw[base + d] += pr[d];
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

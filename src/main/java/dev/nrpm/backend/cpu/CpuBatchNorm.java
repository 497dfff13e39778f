package dev.nrpm.backend.cpu;

import java.util.Arrays;

/**
 * Batch normalization over (n, c, hw), ReLU optionally fused, forward and backward.
 *
 * <p>Per-channel sums (the statistics forward, the gamma and beta gradients backward) run over
 * the planes (b, ch) in memory order, each plane added element by element into float lanes of its
 * channel: that loop vectorizes, where a reduction does not (C2 keeps a floating-point sum in
 * order). Every {@value #FLUSH} additions the lanes are summed into double
 * totals, so float accumulation never runs long. Work is split over the batch (sums) or the planes
 * (elementwise passes) in chunks of at least {@value #GRAIN} values: waking a pool thread costs tens
 * of microseconds, more than a small layer's whole pass (bench/RESULTS.md "CPU: batch norm").
 * With relu, the backward masks gy by the forward's output on the fly (never stored).
 */
final class CpuBatchNorm {
    /** Values per parallel chunk at least. */
    private static final int GRAIN = 1 << 15;
    /** Float additions per lane before the lanes are flushed into the double totals. */
    private static final int FLUSH = 64;
    /** Lanes per channel at most: longer planes are added in segments of this length. */
    private static final int LANES = 1024;
    /** Planes at least this long get lanes of their own; shorter ones share a row of lanes. */
    private static final int PLANE_MIN = 128;
    /** Values per row at most for row lanes (c hw), beyond which planes get lanes of their own. */
    private static final int ROW_MAX = 1 << 16;
    private static final ThreadLocal<Lanes> LANES_OF_THREAD = ThreadLocal.withInitial(Lanes::new);

    private CpuBatchNorm() {
    }

    static void train(int n, int c, int hw, float[] x, float[] gamma, float[] beta, float[] runMean, float[] runVar,
                      float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd, boolean relu) {
        long m = (long) n * hw;
        // sums of u = x - k and u^2 for k = the channel's first value, which keeps the variance's
        // cancellation small (data centred near k)
        float[] k = new float[c];
        for (int ch = 0; ch < c; ch++) {
            k[ch] = x[ch * hw];
        }
        double[][] sums = channelSums(n, c, hw, x, k, null, x, k);
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double shiftedMean = sums[0][ch] / m;
            double mean = k[ch] + shiftedMean;
            double var = Math.max(0, sums[1][ch] / m - shiftedMean * shiftedMean);
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            saveMean[ch] = (float) mean;
            saveInvStd[ch] = inv;
            runMean[ch] = (float) ((1 - momentum) * runMean[ch] + momentum * mean);
            runVar[ch] = (float) ((1 - momentum) * runVar[ch] + momentum * var * m / (m - 1));
            scale[ch] = inv * gamma[ch];
            shift[ch] = beta[ch] - (float) mean * scale[ch];
        }
        normalize(n, c, hw, x, y, scale, shift, relu);
    }

    static void eval(int n, int c, int hw, float[] x, float[] gamma, float[] beta, float[] runMean, float[] runVar,
                     float eps, float[] y, float[] saveInvStd, boolean relu) {
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            float inv = (float) (1.0 / Math.sqrt(runVar[ch] + (double) eps));
            if (saveInvStd != null) {
                saveInvStd[ch] = inv;
            }
            scale[ch] = inv * gamma[ch];
            shift[ch] = beta[ch] - runMean[ch] * scale[ch];
        }
        normalize(n, c, hw, x, y, scale, shift, relu);
    }

    /** y = x scale + shift per channel, then Math.max(y, 0) with relu (CpuElementwise's RELU). */
    private static void normalize(int n, int c, int hw, float[] x, float[] y, float[] scale, float[] shift,
                                  boolean relu) {
        CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, hw)), (chunk, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int ch = plane % c;
                float s = scale[ch];
                float t = shift[ch];
                int base = plane * hw;
                if (relu) {
                    for (int i = base; i < base + hw; i++) {
                        y[i] = Math.max(x[i] * s + t, 0f);
                    }
                } else {
                    for (int i = base; i < base + hw; i++) {
                        y[i] = x[i] * s + t;
                    }
                }
            }
        });
    }

    /**
     * Gradients of either forward. With batchStats, mean and invStd came from x; else they are
     * constants. reluOut, when not null, is the forward's output after its ReLU: gy counts only
     * where it is positive. gx is written (or added to, with accumulate); gGamma and gBeta are added to.
     */
    static void backward(int n, int c, int hw, float[] x, float[] gamma, float[] mean, float[] invStd,
                         boolean batchStats, float[] gy, float[] reluOut, float[] gx, boolean accumulate,
                         float[] gGamma, float[] gBeta) {
        double[][] sums = null;
        if (gGamma != null || gBeta != null || (gx != null && batchStats)) {   // eval-mode gx needs none
            sums = channelSums(n, c, hw, gy, null, reluOut, x, mean);
        }
        // gx = k (g - mean(g) - xhat mean(g xhat)), k = gamma inv, xhat = (x - mean) inv, g the
        // masked gy; as a g + b (x - mean) + d per channel
        float[] a = new float[c];
        float[] b = new float[c];
        float[] d = new float[c];
        double m = (double) n * hw;
        for (int ch = 0; ch < c; ch++) {
            float inv = invStd[ch];
            double sumG = sums == null ? 0 : sums[0][ch];
            double sumGXhat = sums == null ? 0 : sums[1][ch] * inv;
            if (gGamma != null) {
                gGamma[ch] += (float) sumGXhat;
            }
            if (gBeta != null) {
                gBeta[ch] += (float) sumG;
            }
            double kk = (double) gamma[ch] * inv;
            a[ch] = (float) kk;
            if (batchStats) {
                b[ch] = (float) (-kk * inv * (sumGXhat / m));
                d[ch] = (float) (-kk * (sumG / m));
            }
        }
        if (gx != null) {
            gradInput(n, c, hw, x, mean, batchStats, gy, reluOut, gx, accumulate, a, b, d);
        }
    }

    /**
     * gx (=, or += with accumulate) a g + b (x - mean) + d per channel, g = gy masked by reluOut > 0;
     * without batch statistics (b = d = 0) just a g, and x is not read (an attack's backward).
     */
    private static void gradInput(int n, int c, int hw, float[] x, float[] mean, boolean batchStats, float[] gy,
                                  float[] reluOut, float[] gx, boolean accumulate, float[] a, float[] b, float[] d) {
        CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, hw)), (chunk, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int ch = plane % c;
                int lo = plane * hw;
                if (batchStats) {
                    withStats(x, gy, reluOut, gx, accumulate, a[ch], b[ch], d[ch], mean[ch], lo, lo + hw);
                } else {
                    scaled(gy, reluOut, gx, accumulate, a[ch], lo, lo + hw);
                }
            }
        });
    }

    private static void withStats(float[] x, float[] gy, float[] reluOut, float[] gx, boolean accumulate, float pa,
                                  float pb, float pd, float mu, int lo, int hi) {
        if (reluOut == null && !accumulate) {
            for (int i = lo; i < hi; i++) {
                gx[i] = pa * gy[i] + pb * (x[i] - mu) + pd;
            }
        } else if (reluOut == null) {
            for (int i = lo; i < hi; i++) {
                gx[i] += pa * gy[i] + pb * (x[i] - mu) + pd;
            }
        } else if (!accumulate) {
            for (int i = lo; i < hi; i++) {
                gx[i] = pa * (gy[i] * reluMask(reluOut[i])) + pb * (x[i] - mu) + pd;
            }
        } else {
            for (int i = lo; i < hi; i++) {
                gx[i] += pa * (gy[i] * reluMask(reluOut[i])) + pb * (x[i] - mu) + pd;
            }
        }
    }

    private static void scaled(float[] gy, float[] reluOut, float[] gx, boolean accumulate, float pa, int lo, int hi) {
        if (reluOut == null && !accumulate) {
            for (int i = lo; i < hi; i++) {
                gx[i] = pa * gy[i];
            }
        } else if (reluOut == null) {
            for (int i = lo; i < hi; i++) {
                gx[i] += pa * gy[i];
            }
        } else if (!accumulate) {
            for (int i = lo; i < hi; i++) {
                gx[i] = pa * (gy[i] * reluMask(reluOut[i]));
            }
        } else {
            for (int i = lo; i < hi; i++) {
                gx[i] += pa * (gy[i] * reluMask(reluOut[i]));
            }
        }
    }

    /**
     * 1 where the ReLU's output out is positive, 0 where it is zero or negative, from float
     * minimum and maximum alone: C2 (JDK 17) vectorizes those, not a comparison's select nor a
     * reinterpretation of float bits as an int (0.65 against 0.2 ns a value, masking included).
     * out times 2^150 is at least 2 for the smallest positive float and infinite for large ones.
     * Where out is NaN the result is NaN, so is the gradient there (the reference and CUDA
     * backends give 0): a NaN output means a NaN input, whose channel's batch statistics, and so
     * its whole gradient in training, are NaN in every backend.
     */
    private static float reluMask(float out) {
        return Math.max(Math.min(out * 0x1p100f * 0x1p50f, 1f), 0f);
    }

    /**
     * Per channel, {sum of u, sum of u (v - vShift)} with u = p - pShift (pShift null: 0), or with
     * a mask (and no pShift) u = p {@link #reluMask}(mask). Chunks of the batch run in parallel,
     * each with its own lanes and totals; the totals are added in chunk order.
     */
    private static double[][] channelSums(int n, int c, int hw, float[] p, float[] pShift, float[] mask, float[] v,
                                          float[] vShift) {
        assert mask == null || pShift == null;
        int grain = Math.max(1, GRAIN / Math.max(1, c * hw));
        double[][][] partial = new double[CpuParallel.chunks(n, grain)][][];
        CpuParallel.forRange(n, grain, (chunk, from, to) -> {
            Lanes lanes = LANES_OF_THREAD.get();
            partial[chunk] = hw < PLANE_MIN && (long) c * hw <= ROW_MAX
                    ? lanes.rowSums(c, hw, from, to, p, pShift, mask, v, vShift)
                    : lanes.planeSums(c, hw, from, to, p, pShift, mask, v, vShift);
        });
        double[][] total = new double[2][c];
        for (double[][] part : partial) {
            for (int ch = 0; ch < c; ch++) {
                total[0][ch] += part[0][ch];
                total[1][ch] += part[1][ch];
            }
        }
        return total;
    }

    /**
     * One thread's float lanes and staging copies, kept between calls. Every loop that adds into
     * the lanes reads and writes arrays at the same index i: C2 (JDK 17) vectorizes a loop only
     * when its array indices share one loop-invariant offset, so each segment of the operands is
     * first copied to index 0 of a staging array (System.arraycopy, cheap next to a loop that does
     * not vectorize: 0.4 ns a value against 0.2 here).
     */
    private static final class Lanes {
        float[] stageP = new float[0];
        float[] stageV = new float[0];
        float[] stageMask = new float[0];
        float[] shiftP = new float[0];
        float[] shiftV = new float[0];
        float[] sum = new float[0];
        float[] dot = new float[0];
        float[][] planeSum = new float[0][];
        float[][] planeDot = new float[0][];

        private static float[] atLeast(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        /**
         * Small planes: the lanes are a whole row of the batch (c hw values, each channel's hw
         * lanes side by side), each row added at once; the shifts spread over the lanes.
         */
        double[][] rowSums(int c, int hw, int from, int to, float[] p, float[] pShift, float[] mask, float[] v,
                           float[] vShift) {
            int len = c * hw;
            stage(len, mask != null, v != p);
            Arrays.fill(sum, 0, len, 0f);
            Arrays.fill(dot, 0, len, 0f);
            for (int ch = 0; ch < c; ch++) {
                Arrays.fill(shiftP, ch * hw, ch * hw + hw, pShift == null ? 0f : pShift[ch]);
                Arrays.fill(shiftV, ch * hw, ch * hw + hw, vShift[ch]);
            }
            double[][] total = new double[2][c];
            int pending = 0;
            for (int b = from; b < to; b++) {
                float[] sv = copy(p, v, mask, b * len, len);
                if (mask == null) {
                    for (int i = 0; i < len; i++) {
                        float u = stageP[i] - shiftP[i];
                        sum[i] += u;
                        dot[i] += u * (sv[i] - shiftV[i]);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        float u = stageP[i] * reluMask(stageMask[i]);
                        sum[i] += u;
                        dot[i] += u * (sv[i] - shiftV[i]);
                    }
                }
                if (++pending == FLUSH || b == to - 1) {
                    for (int ch = 0; ch < c; ch++) {
                        total[0][ch] += Sums.sum(sum, ch * hw, ch * hw + hw);
                        total[1][ch] += Sums.sum(dot, ch * hw, ch * hw + hw);
                    }
                    Arrays.fill(sum, 0, len, 0f);
                    Arrays.fill(dot, 0, len, 0f);
                    pending = 0;
                }
            }
            return total;
        }

        /** Larger planes: each channel has its own lanes, a plane added in segments of at most LANES. */
        double[][] planeSums(int c, int hw, int from, int to, float[] p, float[] pShift, float[] mask, float[] v,
                             float[] vShift) {
            int width = Math.min(hw, LANES);
            int segments = (hw + width - 1) / width;
            stage(width, mask != null, v != p);
            if (planeSum.length < c || planeSum[0].length < width) {
                planeSum = new float[c][width];
                planeDot = new float[c][width];
            }
            for (int ch = 0; ch < c; ch++) {
                Arrays.fill(planeSum[ch], 0, width, 0f);
                Arrays.fill(planeDot[ch], 0, width, 0f);
            }
            double[][] total = new double[2][c];
            int pending = 0;
            for (int b = from; b < to; b++) {
                for (int ch = 0; ch < c; ch++) {
                    float ps = pShift == null ? 0f : pShift[ch];
                    float vs = vShift[ch];
                    float[] ls = planeSum[ch];
                    float[] ld = planeDot[ch];
                    int plane = (b * c + ch) * hw;
                    for (int seg = 0; seg < hw; seg += width) {
                        int len = Math.min(width, hw - seg);
                        float[] sv = copy(p, v, mask, plane + seg, len);
                        if (mask == null) {
                            for (int i = 0; i < len; i++) {
                                float u = stageP[i] - ps;
                                ls[i] += u;
                                ld[i] += u * (sv[i] - vs);
                            }
                        } else {
                            for (int i = 0; i < len; i++) {
                                float u = stageP[i] * reluMask(stageMask[i]);
                                ls[i] += u;
                                ld[i] += u * (sv[i] - vs);
                            }
                        }
                    }
                }
                pending += segments;
                if (pending >= FLUSH || b == to - 1) {
                    for (int ch = 0; ch < c; ch++) {
                        total[0][ch] += Sums.sum(planeSum[ch], 0, width);
                        total[1][ch] += Sums.sum(planeDot[ch], 0, width);
                        Arrays.fill(planeSum[ch], 0, width, 0f);
                        Arrays.fill(planeDot[ch], 0, width, 0f);
                    }
                    pending = 0;
                }
            }
            return total;
        }

        private void stage(int len, boolean withMask, boolean separateV) {
            stageP = atLeast(stageP, len);
            stageV = separateV ? atLeast(stageV, len) : stageV;
            stageMask = withMask ? atLeast(stageMask, len) : stageMask;
            shiftP = atLeast(shiftP, len);
            shiftV = atLeast(shiftV, len);
            sum = atLeast(sum, len);
            dot = atLeast(dot, len);
        }

        /** Stages p, v and the mask where given from index at; returns v's staging array. */
        private float[] copy(float[] p, float[] v, float[] mask, int at, int len) {
            System.arraycopy(p, at, stageP, 0, len);
            if (mask != null) {
                System.arraycopy(mask, at, stageMask, 0, len);
            }
            if (v == p) {
                return stageP;
            }
            System.arraycopy(v, at, stageV, 0, len);
            return stageV;
        }
    }
}

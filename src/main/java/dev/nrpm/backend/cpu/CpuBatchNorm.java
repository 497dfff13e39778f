package dev.nrpm.backend.cpu;

/** Batch normalization over (n, c, hw), parallel over channels; statistics summed in double. */
final class CpuBatchNorm {
    private CpuBatchNorm() {
    }

    static void train(int n, int c, int hw, float[] x, float[] gamma, float[] beta, float[] runMean, float[] runVar,
                      float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd, boolean relu) {
        long m = (long) n * hw;
        CpuParallel.forRange(c, 1, (chunk, from, to) -> {
            for (int ch = from; ch < to; ch++) {
                // one pass over x: sums of x - k and (x - k)^2 for k = the channel's first value,
                // which keeps the variance's cancellation small (data centred near k)
                float k = m > 0 ? x[ch * hw] : 0f;
                double[] sums = new double[2];
                for (int b = 0; b < n; b++) {
                    int base = (b * c + ch) * hw;
                    Sums.sumAndDot(x, k, x, k, 1f, base, base + hw, sums);
                }
                double shiftedMean = sums[0] / m;
                double mean = k + shiftedMean;
                double var = Math.max(0, sums[1] / m - shiftedMean * shiftedMean);
                float inv = (float) (1.0 / Math.sqrt(var + eps));
                normalize(n, c, hw, ch, x, y, (float) mean, inv, gamma[ch], beta[ch], relu);
                saveMean[ch] = (float) mean;
                saveInvStd[ch] = inv;
                runMean[ch] = (float) ((1 - momentum) * runMean[ch] + momentum * mean);
                runVar[ch] = (float) ((1 - momentum) * runVar[ch] + momentum * var * m / (m - 1));
            }
        });
    }

    static void eval(int n, int c, int hw, float[] x, float[] gamma, float[] beta, float[] runMean, float[] runVar,
                     float eps, float[] y, float[] saveInvStd, boolean relu) {
        CpuParallel.forRange(c, 1, (chunk, from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float inv = (float) (1.0 / Math.sqrt(runVar[ch] + (double) eps));
                normalize(n, c, hw, ch, x, y, runMean[ch], inv, gamma[ch], beta[ch], relu);
                if (saveInvStd != null) {
                    saveInvStd[ch] = inv;
                }
            }
        });
    }

    /** y = x scale + shift over channel ch, then Math.max(y, 0) with relu (CpuElementwise's RELU). */
    private static void normalize(int n, int c, int hw, int ch, float[] x, float[] y, float mean, float inv,
                                  float gamma, float beta, boolean relu) {
        float scale = inv * gamma;
        float shift = beta - mean * scale;
        for (int b = 0; b < n; b++) {
            int base = (b * c + ch) * hw;
            if (relu) {
                for (int i = 0; i < hw; i++) {
                    y[base + i] = Math.max(x[base + i] * scale + shift, 0f);
                }
            } else {
                for (int i = 0; i < hw; i++) {
                    y[base + i] = x[base + i] * scale + shift;
                }
            }
        }
    }

    static void backward(int n, int c, int hw, float[] x, float[] gamma, float[] mean, float[] invStd,
                         boolean batchStats, float[] gy, float[] gx, float[] gGamma, float[] gBeta) {
        double m = (double) n * hw;
        CpuParallel.forRange(c, 1, (chunk, from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float mu = mean[ch];
                float inv = invStd[ch];
                double[] sums = new double[2];
                if (gGamma != null || gBeta != null || (gx != null && batchStats)) {   // eval-mode gx needs none
                    for (int b = 0; b < n; b++) {
                        int base = (b * c + ch) * hw;
                        Sums.sumAndDot(gy, 0f, x, mu, inv, base, base + hw, sums);
                    }
                }
                double sumGy = sums[0];
                double sumGyXhat = sums[1];
                if (gGamma != null) {
                    gGamma[ch] += (float) sumGyXhat;
                }
                if (gBeta != null) {
                    gBeta[ch] += (float) sumGy;
                }
                if (gx == null) {
                    continue;
                }
                float k = gamma[ch] * inv;
                if (batchStats) {
                    float meanGy = (float) (sumGy / m);
                    float meanGyXhat = (float) (sumGyXhat / m);
                    for (int b = 0; b < n; b++) {
                        int base = (b * c + ch) * hw;
                        for (int i = 0; i < hw; i++) {
                            float xhat = (x[base + i] - mu) * inv;
                            gx[base + i] += k * (gy[base + i] - meanGy - xhat * meanGyXhat);
                        }
                    }
                } else {
                    for (int b = 0; b < n; b++) {
                        int base = (b * c + ch) * hw;
                        for (int i = 0; i < hw; i++) {
                            gx[base + i] += k * gy[base + i];
                        }
                    }
                }
            }
        });
    }
}

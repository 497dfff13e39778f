package dev.nrpm.backend.cpu;

import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.backend.UnaryOp;

/**
 * Elementwise and per-channel loops. Each op has its own loop (the switch sits outside it) so the
 * JIT can vectorize; large arrays are split across cores.
 */
final class CpuElementwise {
    /** Below this many elements a loop runs on the calling thread only. */
    static final int GRAIN = 1 << 15;

    private CpuElementwise() {
    }

    static void map(UnaryOp op, float[] x, float[] y, int n) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            switch (op) {
                case SIGN: for (int i = from; i < to; i++) { y[i] = Math.signum(x[i]); } break;
                case RELU: for (int i = from; i < to; i++) { y[i] = Math.max(x[i], 0f); } break;
                case SIGMOID: for (int i = from; i < to; i++) { y[i] = (float) (1.0 / (1.0 + Math.exp(-x[i]))); } break;
                case SQRT: for (int i = from; i < to; i++) { y[i] = (float) Math.sqrt(x[i]); } break;
                case SQUARE: for (int i = from; i < to; i++) { y[i] = x[i] * x[i]; } break;
                case RECIPROCAL: for (int i = from; i < to; i++) { y[i] = 1f / x[i]; } break;
                default: throw new AssertionError(op);
            }
        });
    }

    static void zip(BinaryOp op, float[] a, float[] b, float[] y, int n) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            switch (op) {
                case ADD: for (int i = from; i < to; i++) { y[i] = a[i] + b[i]; } break;
                case SUB: for (int i = from; i < to; i++) { y[i] = a[i] - b[i]; } break;
                case MUL: for (int i = from; i < to; i++) { y[i] = a[i] * b[i]; } break;
                case MAX: for (int i = from; i < to; i++) { y[i] = Math.max(a[i], b[i]); } break;
                case MIN: for (int i = from; i < to; i++) { y[i] = Math.min(a[i], b[i]); } break;
                case RELU_GRAD: reluGrad(a, b, y, from, to); break;
                case SIGMOID_GRAD: for (int i = from; i < to; i++) { y[i] = b[i] * a[i] * (1f - a[i]); } break;
                case ADD_RELU: for (int i = from; i < to; i++) { y[i] = Math.max(a[i] + b[i], 0f); } break;
                default: throw new AssertionError(op);
            }
        });
    }

    /**
     * y = a > 0 ? b : 0, bit for bit (NaN and -0 in a give 0), without a branch: a data-dependent
     * branch mispredicts on half of a ReLU's inputs and C2 leaves the select scalar (5.4 ms per
     * million floats here); this mask runs at 0.65 ms. It is still scalar: C2 (JDK 17) does not
     * vectorize the float-int reinterpretations (the same loop over int arrays runs at 0.16 ms).
     * CpuBatchNorm's min/max mask vectorizes, but gives NaN where a is NaN; this op keeps the exact
     * semantics. a > 0 exactly when its bits, less 1, lie in [0, 0x7f800000): the positive floats
     * up to +Inf.
     */
    private static void reluGrad(float[] a, float[] b, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            int t = Float.floatToRawIntBits(a[i]) - 1;
            int keep = (~t & (t - 0x7f800000)) >> 31;
            y[i] = Float.intBitsToFloat(Float.floatToRawIntBits(b[i]) & keep);
        }
    }

    static void axpby(float alpha, float[] x, float beta, float[] y, int n) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            if (beta == 0) {
                for (int i = from; i < to; i++) {
                    y[i] = alpha * x[i];
                }
            } else if (beta == 1) {
                for (int i = from; i < to; i++) {
                    y[i] += alpha * x[i];
                }
            } else {
                for (int i = from; i < to; i++) {
                    y[i] = alpha * x[i] + beta * y[i];
                }
            }
        });
    }

    static void affineClamp(float[] x, float scale, float shift, float lo, float hi, float[] y, int n) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = Math.min(hi, Math.max(lo, scale * x[i] + shift));
            }
        });
    }

    static long countNonFinite(float[] x, int n) {
        long count = 0;
        for (int i = 0; i < n; i++) {
            // x - x is 0 for finite values and NaN for NaN and infinities
            if (x[i] - x[i] != 0f) {
                count++;
            }
        }
        return count;
    }

    static void addChannels(float[] v, float alpha, float[] y, int outer, int channels, int inner) {
        if (outer * channels == 1) {   // a scalar over one long row (the gradient of a sum): split the row
            float add = alpha * v[0];
            CpuParallel.forRange(inner, GRAIN, (c, from, to) -> {
                for (int i = from; i < to; i++) {
                    y[i] += add;
                }
            });
            return;
        }
        CpuParallel.forRange(outer * channels, Math.max(1, GRAIN / Math.max(1, inner)), (c, from, to) -> {
            for (int oc = from; oc < to; oc++) {
                float add = alpha * v[oc % channels];
                int base = oc * inner;
                for (int i = 0; i < inner; i++) {
                    y[base + i] += add;
                }
            }
        });
    }

    static void mulChannels(float[] x, float[] s, float[] y, int outer, int channels, int inner) {
        CpuParallel.forRange(outer * channels, Math.max(1, GRAIN / Math.max(1, inner)), (c, from, to) -> {
            for (int oc = from; oc < to; oc++) {
                float f = s[oc % channels];
                int base = oc * inner;
                for (int i = 0; i < inner; i++) {
                    y[base + i] = x[base + i] * f;
                }
            }
        });
    }

    /** Sums in double per channel so long reductions (a whole batch) stay accurate in float32 storage. */
    static void sumChannels(float[] x, float[] out, int outer, int channels, int inner, boolean accumulate) {
        double[] sums = new double[channels];
        if (channels == 1) {
            int n = outer * inner;
            int chunks = CpuParallel.chunks(n, GRAIN);
            double[] partial = new double[chunks];
            CpuParallel.forRange(n, GRAIN, (c, from, to) -> partial[c] = Sums.sum(x, from, to));
            for (double p : partial) {
                sums[0] += p;
            }
        } else {
            int perChannel = Math.max(1, outer * inner);
            CpuParallel.forRange(channels, Math.max(1, GRAIN / perChannel), (c, from, to) -> {
                for (int ch = from; ch < to; ch++) {
                    double s = 0;
                    for (int o = 0; o < outer; o++) {
                        int base = (o * channels + ch) * inner;
                        s += Sums.sum(x, base, base + inner);
                    }
                    sums[ch] = s;
                }
            });
        }
        for (int ch = 0; ch < channels; ch++) {
            out[ch] = (float) (accumulate ? out[ch] + sums[ch] : sums[ch]);
        }
    }

    static void logSoftmax(float[] x, float[] y, int rows, int cols) {
        CpuParallel.forRange(rows, Math.max(1, GRAIN / cols), (c, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, x[base + j]);
                }
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += Math.exp(x[base + j] - max);
                }
                float lse = (float) (max + Math.log(s));
                for (int j = 0; j < cols; j++) {
                    y[base + j] = x[base + j] - lse;
                }
            }
        });
    }

    static void logSoftmaxBackward(float[] y, float[] gy, float[] gx, int rows, int cols) {
        CpuParallel.forRange(rows, Math.max(1, GRAIN / cols), (c, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                float s = 0;
                for (int j = 0; j < cols; j++) {
                    s += gy[base + j];
                }
                for (int j = 0; j < cols; j++) {
                    gx[base + j] += gy[base + j] - (float) Math.exp(y[base + j]) * s;
                }
            }
        });
    }

    static void nllLoss(float[] logp, float[] labels, float[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            out[r] = -logp[r * cols + CpuBackend.label(labels[r], cols)];
        }
    }

    static void nllLossBackward(float[] gout, float[] labels, float[] glogp, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            glogp[r * cols + CpuBackend.label(labels[r], cols)] -= gout[r];
        }
    }

    static void dropout(float[] x, float[] y, int n, int inner, float p, long seed, boolean accumulate) {
        CpuParallel.forRange(n / inner, Math.max(1, GRAIN / inner), (c, from, to) -> {
            for (int j = from; j < to; j++) {
                float m = CounterRng.dropoutScale(seed, j, p);
                int base = j * inner;
                if (accumulate) {
                    for (int i = 0; i < inner; i++) {
                        y[base + i] += x[base + i] * m;
                    }
                } else {
                    for (int i = 0; i < inner; i++) {
                        y[base + i] = x[base + i] * m;
                    }
                }
            }
        });
    }

    static void randomUniform(float[] y, int n, float lo, float hi, long seed) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = lo + (hi - lo) * CounterRng.uniform(seed, i);
            }
        });
    }

    static void randomNormal(float[] y, int n, float mean, float std, long seed) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = mean + std * CounterRng.normal(seed, i);
            }
        });
    }

    static void sgdStep(float[] p, float[] g, float[] v, int n, float lr, float momentum, float wd, boolean nesterov) {
        CpuParallel.forRange(n, GRAIN, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                float d = g[i] + wd * p[i];
                float vel = momentum * v[i] + d;
                v[i] = vel;
                p[i] -= lr * (nesterov ? d + momentum * vel : vel);
            }
        });
    }
}

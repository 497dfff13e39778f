package dev.nrpm.backend.reference;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.error.NrpmException;
import dev.nrpm.matching.NrpmSpec;

/** Plain float64 loops for every primitive of {@link Backend}; single-threaded, obviously right. */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    static double[] a(Buffer b) {
        if (!(b instanceof DoubleBuffer)) {
            throw new NrpmException("buffer from another backend passed to the reference backend");
        }
        return ((DoubleBuffer) b).array();
    }

    static double[] orNull(Buffer b) {
        return b == null ? null : a(b);
    }

    /** A gradient output that the primitive then adds into: zeroed first unless it accumulates. */
    static double[] gradOut(Buffer b, boolean accumulate) {
        double[] v = orNull(b);
        if (v != null && !accumulate) {
            java.util.Arrays.fill(v, 0.0);
        }
        return v;
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buffer allocate(long length) {
        return new DoubleBuffer(new double[Math.toIntExact(length)]);
    }

    @Override
    public Buffer upload(float[] host) {
        double[] d = new double[host.length];
        for (int i = 0; i < host.length; i++) {
            d[i] = host[i];
        }
        return new DoubleBuffer(d);
    }

    @Override
    public Buffer upload(double[] host) {
        return new DoubleBuffer(host.clone());
    }

    @Override
    public float[] download(Buffer src) {
        double[] d = a(src);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Override
    public double[] downloadDouble(Buffer src) {
        return a(src).clone();
    }

    @Override
    public void copy(Buffer src, Buffer dst, long n) {
        System.arraycopy(a(src), 0, a(dst), 0, Math.toIntExact(n));
    }

    @Override
    public void fill(Buffer dst, float value) {
        java.util.Arrays.fill(a(dst), value);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void map(UnaryOp op, Buffer xb, Buffer yb, long n) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            double v = x[i];
            switch (op) {
                case SIGN: y[i] = Math.signum(v); break;
                case RELU: y[i] = Math.max(v, 0); break;
                case SIGMOID: y[i] = 1.0 / (1.0 + Math.exp(-v)); break;
                case SQRT: y[i] = Math.sqrt(v); break;
                case SQUARE: y[i] = v * v; break;
                case RECIPROCAL: y[i] = 1.0 / v; break;
                default: throw new AssertionError(op);
            }
        }
    }

    @Override
    public void zip(BinaryOp op, Buffer ab, Buffer bb, Buffer yb, long n) {
        double[] x = a(ab);
        double[] z = a(bb);
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            double u = x[i];
            double v = z[i];
            switch (op) {
                case ADD: y[i] = u + v; break;
                case SUB: y[i] = u - v; break;
                case MUL: y[i] = u * v; break;
                case MAX: y[i] = Math.max(u, v); break;
                case MIN: y[i] = Math.min(u, v); break;
                case RELU_GRAD: y[i] = u > 0 ? v : 0; break;
                case SIGMOID_GRAD: y[i] = v * u * (1 - u); break;
                case ADD_RELU: y[i] = Math.max(u + v, 0); break;
                default: throw new AssertionError(op);
            }
        }
    }

    @Override
    public void axpby(float alpha, Buffer xb, float beta, Buffer yb, long n) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            y[i] = beta == 0 ? alpha * x[i] : alpha * x[i] + beta * y[i];
        }
    }

    @Override
    public void affineClamp(Buffer xb, float scale, float shift, float lo, float hi, Buffer yb, long n) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            y[i] = Math.min(hi, Math.max(lo, scale * x[i] + shift));
        }
    }

    @Override
    public long countNonFinite(Buffer xb, long n) {
        double[] x = a(xb);
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(x[i])) {
                count++;
            }
        }
        return count;
    }

    // ------------------------------------------------------------------ per-channel

    @Override
    public void addChannels(Buffer vb, float alpha, Buffer yb, int outer, int channels, int inner) {
        double[] v = a(vb);
        double[] y = a(yb);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < inner; i++) {
                    y[(o * channels + c) * inner + i] += alpha * v[c];
                }
            }
        }
    }

    @Override
    public void mulChannels(Buffer xb, Buffer sb, Buffer yb, int outer, int channels, int inner) {
        double[] x = a(xb);
        double[] s = a(sb);
        double[] y = a(yb);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < inner; i++) {
                    int idx = (o * channels + c) * inner + i;
                    y[idx] = x[idx] * s[c];
                }
            }
        }
    }

    @Override
    public void sumChannels(Buffer xb, Buffer outb, int outer, int channels, int inner, boolean accumulate) {
        double[] x = a(xb);
        double[] out = a(outb);
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    s += x[(o * channels + c) * inner + i];
                }
            }
            out[c] = accumulate ? out[c] + s : s;
        }
    }

    // ------------------------------------------------------------------ matrix product

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buffer ab, Buffer bb, float beta, Buffer cb) {
        double[] am = a(ab);
        double[] bm = a(bb);
        double[] c = a(cb);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? am[p * m + i] : am[i * k + p];
                    double bv = transB ? bm[j * k + p] : bm[p * n + j];
                    s += av * bv;
                }
                c[i * n + j] = beta == 0 ? alpha * s : alpha * s + beta * c[i * n + j];
            }
        }
    }

    // ------------------------------------------------------------------ convolution: ReferenceConv

    @Override
    public void conv2d(ConvGeometry g, Buffer xb, Buffer wb, Buffer bb, Buffer yb) {
        ReferenceConv.conv2d(g, xb, wb, yb);
        if (bb != null) {
            addChannels(bb, 1f, yb, g.batch(), g.outC(), g.outH() * g.outW());
        }
    }

    @Override
    public void conv2dBackward(ConvGeometry g, Buffer xb, Buffer wb, Buffer gyb, Buffer gxb, boolean accumulateGx,
                               Buffer gwb, Buffer gbb) {
        ReferenceConv.conv2dBackward(g, xb, wb, gyb, gxb, accumulateGx, gwb);
        if (gbb != null) {
            sumChannels(gyb, gbb, g.batch(), g.outC(), g.outH() * g.outW(), true);
        }
    }

    // ------------------------------------------------------------------ pooling: ReferencePooling

    @Override
    public void maxPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        ReferencePooling.maxPool2d(g, xb, yb);
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Buffer xb, Buffer gyb, Buffer gxb, boolean accumulate) {
        ReferencePooling.maxPool2dBackward(g, xb, gyb, gxb, accumulate);
    }

    @Override
    public void avgPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        ReferencePooling.avgPool2d(g, xb, yb);
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Buffer gyb, Buffer gxb, boolean accumulate) {
        ReferencePooling.avgPool2dBackward(g, gyb, gxb, accumulate);
    }

    // ------------------------------------------------------------------ batch norm: ReferenceBatchNorm

    @Override
    public void batchNormTrain(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                               Buffer runMeanb, Buffer runVarb, float momentum, float eps,
                               Buffer yb, Buffer saveMeanb, Buffer saveInvStdb, boolean relu) {
        ReferenceBatchNorm.batchNormTrain(n, c, hw, xb, gammab, betab, runMeanb, runVarb, momentum, eps, yb, saveMeanb, saveInvStdb, relu);
    }

    @Override
    public void batchNormEval(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                              Buffer runMeanb, Buffer runVarb, float eps, Buffer yb, Buffer saveInvStdb,
                              boolean relu) {
        ReferenceBatchNorm.batchNormEval(n, c, hw, xb, gammab, betab, runMeanb, runVarb, eps, yb, saveInvStdb, relu);
    }

    @Override
    public void batchNormBackward(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer meanb, Buffer invStdb,
                                  boolean batchStats, Buffer gyb, Buffer reluOutb, Buffer gxb, boolean accumulateGx,
                                  Buffer gGammab, Buffer gBetab) {
        ReferenceBatchNorm.batchNormBackward(n, c, hw, xb, gammab, meanb, invStdb, batchStats, gyb, reluOutb, gxb, accumulateGx, gGammab, gBetab);
    }

    // ------------------------------------------------------------------ softmax and loss: ReferenceLoss

    @Override
    public void logSoftmax(Buffer xb, Buffer yb, int rows, int cols) {
        ReferenceLoss.logSoftmax(xb, yb, rows, cols);
    }

    @Override
    public void logSoftmaxBackward(Buffer yb, Buffer gyb, Buffer gxb, int rows, int cols, boolean accumulate) {
        ReferenceLoss.logSoftmaxBackward(yb, gyb, gxb, rows, cols, accumulate);
    }

    @Override
    public void nllLoss(Buffer logpb, Buffer labelsb, Buffer outb, int rows, int cols) {
        ReferenceLoss.nllLoss(logpb, labelsb, outb, rows, cols);
    }

    @Override
    public void nllLossBackward(Buffer goutb, Buffer labelsb, Buffer glogpb, int rows, int cols, boolean accumulate) {
        ReferenceLoss.nllLossBackward(goutb, labelsb, glogpb, rows, cols, accumulate);
    }

    // ------------------------------------------------------------------ randomness

    @Override
    public void dropout(Buffer xb, Buffer yb, long n, int inner, float p, long seed, boolean accumulate) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            double v = x[i] * CounterRng.dropoutScale(seed, i / inner, p);
            y[i] = accumulate ? y[i] + v : v;
        }
    }

    @Override
    public void randomUniform(Buffer yb, long n, float lo, float hi, long seed) {
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            y[i] = lo + (hi - lo) * (double) CounterRng.uniform(seed, i);
        }
    }

    @Override
    public void randomNormal(Buffer yb, long n, float mean, float std, long seed) {
        double[] y = a(yb);
        for (int i = 0; i < n; i++) {
            y[i] = mean + std * (double) CounterRng.normal(seed, i);
        }
    }

    // ------------------------------------------------------------------ NRPM

    @Override
    public void nrpmDense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias,
                          Buffer lambda, Buffer y, Buffer state) {
        Buffer z0 = allocate((long) batch * out);   // the LPM sum x w^T
        gemm(false, true, batch, out, in, 1f, x, w, 0f, z0);
        double[] zK = new double[batch * out];
        ReferenceNrpm.forward(spec, batch, in, out, a(x), a(w), a(z0), zK, orNull(state));
        mix(a(z0), zK, a(lambda)[0], orNull(bias), a(y), batch, out, 1);
    }

    @Override
    public void nrpmDenseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda,
                                  Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                                  Buffer gLambda) {
        int n = batch * out;
        double lam = a(lambda)[0];
        double[] g = a(gy);
        double[] st = a(state);
        double[] gzK = new double[n];
        for (int i = 0; i < n; i++) {
            gzK[i] = (1 - lam) * g[i];
        }
        double[] chain = new double[n];
        ReferenceNrpm.backward(spec, batch, in, out, a(x), a(w), st, gzK, gradOut(gx, accumulateGx), orNull(gw),
                chain);
        Buffer gz0 = new DoubleBuffer(finishBackward(spec, n, lam, g, st, chain, orNull(gLambda)));
        // the LPM sum z0 = x w^T: gx += gz0 w, gw += gz0^T x
        if (gx != null) {
            gemm(false, false, batch, in, out, 1f, gz0, w, 1f, gx);
        }
        if (gw != null) {
            gemm(true, false, out, in, batch, 1f, gz0, x, 1f, gw);
        }
    }

    @Override
    public void nrpmConv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias,
                           Buffer lambda, Buffer y, Buffer state) {
        Buffer z0 = allocate(g.outputSize());   // the LPM sum conv2d(x, w)
        conv2d(g, x, w, null, z0);
        int p = g.outH() * g.outW();
        int rows = g.batch() * p;
        double[] cols = ReferenceConv.unfold(g, a(x));
        double[] z0Rows = toRows(g, a(z0));
        double[] zK = new double[rows * g.outC()];
        double[] stRows = state == null ? null : new double[(int) spec.stateLength((long) rows * g.outC())];
        ReferenceNrpm.forward(spec, rows, g.patchSize(), g.outC(), cols, a(w), z0Rows, zK, stRows);
        mix(a(z0), fromRows(g, zK), a(lambda)[0], orNull(bias), a(y), g.batch(), g.outC(), p);
        if (state != null) {
            double[] st = a(state);
            int n = rows * g.outC();
            for (int plane = 0; plane < spec.statePlanes(); plane++) {
                double[] part = fromRows(g, java.util.Arrays.copyOfRange(stRows, plane * n, (plane + 1) * n));
                System.arraycopy(part, 0, st, plane * n, n);
            }
        }
    }

    @Override
    public void nrpmConv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda,
                                   Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                                   Buffer gLambda) {
        int p = g.outH() * g.outW();
        int rows = g.batch() * p;
        int n = rows * g.outC();
        double lam = a(lambda)[0];
        double[] gyv = a(gy);
        double[] st = a(state);
        double[] stRows = new double[st.length];
        for (int plane = 0; plane < spec.statePlanes(); plane++) {
            double[] part = toRows(g, java.util.Arrays.copyOfRange(st, plane * n, (plane + 1) * n));
            System.arraycopy(part, 0, stRows, plane * n, n);
        }
        double[] gyRows = toRows(g, gyv);
        double[] gzK = new double[n];
        for (int i = 0; i < n; i++) {
            gzK[i] = (1 - lam) * gyRows[i];
        }
        double[] cols = ReferenceConv.unfold(g, a(x));
        double[] gcols = gx == null ? null : new double[cols.length];
        double[] chainRows = new double[n];
        ReferenceNrpm.backward(spec, rows, g.patchSize(), g.outC(), cols, a(w), stRows, gzK, gcols, orNull(gw), chainRows);
        double[] gxv = gradOut(gx, accumulateGx);
        if (gxv != null) {
            ReferenceConv.fold(g, gcols, gxv);
        }
        double[] gz0 = finishBackward(spec, n, lam, gyv, st, fromRows(g, chainRows), orNull(gLambda));
        ReferenceConv.convBackward(g, gz0, a(w), a(x), gxv, orNull(gw));   // the LPM sum z0 = conv2d(x, w)
    }

    /** y = lambda * z0 + (1 - lambda) * zK + bias[o], layout (batch, out, inner). */
    private static void mix(double[] z0, double[] zK, double lam, double[] bias, double[] y, int batch, int out, int inner) {
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < inner; i++) {
                    int idx = (b * out + o) * inner + i;
                    y[idx] = lam * z0[idx] + (1 - lam) * zK[idx] + (bias == null ? 0 : bias[o]);
                }
            }
        }
    }

    /**
     * Returns gz0, the total gradient of the LPM sum z0: lambda * g + chain (K > 0) or g (K = 0);
     * gLambda += sum g * (z0 - zK).
     */
    private static double[] finishBackward(NrpmSpec spec, int n, double lam, double[] g, double[] st,
                                           double[] chain, double[] gLambda) {
        double[] gz0 = new double[n];
        double gl = 0;
        for (int i = 0; i < n; i++) {
            gz0[i] = spec.k() == 0 ? g[i] : lam * g[i] + chain[i];
            gl += g[i] * (st[i] - st[spec.k() * n + i]);
        }
        if (gLambda != null) {
            gLambda[0] += gl;
        }
        return gz0;
    }

    /** (B, O, P) to (B*P, O). */
    private static double[] toRows(ConvGeometry g, double[] v) {
        int p = g.outH() * g.outW();
        int o = g.outC();
        double[] r = new double[v.length];
        for (int b = 0; b < g.batch(); b++) {
            for (int c = 0; c < o; c++) {
                for (int i = 0; i < p; i++) {
                    r[(b * p + i) * o + c] = v[(b * o + c) * p + i];
                }
            }
        }
        return r;
    }

    /** (B*P, O) to (B, O, P). */
    private static double[] fromRows(ConvGeometry g, double[] r) {
        int p = g.outH() * g.outW();
        int o = g.outC();
        double[] v = new double[r.length];
        for (int b = 0; b < g.batch(); b++) {
            for (int c = 0; c < o; c++) {
                for (int i = 0; i < p; i++) {
                    v[(b * o + c) * p + i] = r[(b * p + i) * o + c];
                }
            }
        }
        return v;
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void sgdStep(Buffer paramb, Buffer gradb, Buffer velb, long n, float lr, float momentum,
                        float weightDecay, boolean nesterov) {
        double[] p = a(paramb);
        double[] g = a(gradb);
        double[] v = a(velb);
        for (int i = 0; i < n; i++) {
            double d = g[i] + weightDecay * p[i];
            v[i] = momentum * v[i] + d;
            p[i] -= lr * (nesterov ? d + momentum * v[i] : v[i]);
        }
    }
}

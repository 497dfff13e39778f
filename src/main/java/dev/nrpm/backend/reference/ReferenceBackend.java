package dev.nrpm.backend.reference;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;
import dev.nrpm.pm.NrpmSpec;

/** Plain float64 loops for every primitive of {@link Backend}; single-threaded, obviously right. */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    private static double[] a(Buffer b) {
        if (!(b instanceof DoubleBuffer)) {
            throw new NrpmException("buffer from another backend passed to the reference backend");
        }
        return ((DoubleBuffer) b).array();
    }

    private static double[] orNull(Buffer b) {
        return b == null ? null : a(b);
    }

    /** A gradient output that the primitive then adds into: zeroed first unless it accumulates. */
    private static double[] gradOut(Buffer b, boolean accumulate) {
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

    // ------------------------------------------------------------------ convolution

    @Override
    public void conv2d(ConvGeometry g, Buffer xb, Buffer wb, Buffer yb) {
        double[] x = a(xb);
        double[] w = a(wb);
        double[] y = a(yb);
        int ho = g.outH();
        int wo = g.outW();
        for (int b = 0; b < g.batch(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        double s = 0;
                        for (int c = 0; c < g.inC(); c++) {
                            for (int i = 0; i < g.kH(); i++) {
                                for (int j = 0; j < g.kW(); j++) {
                                    int iy = py * g.strideH() - g.padH() + i;
                                    int ix = px * g.strideW() - g.padW() + j;
                                    if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                        s += w[((o * g.inC() + c) * g.kH() + i) * g.kW() + j]
                                                * x[((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix];
                                    }
                                }
                            }
                        }
                        y[((b * g.outC() + o) * ho + py) * wo + px] = s;
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackward(ConvGeometry g, Buffer xb, Buffer wb, Buffer gyb, Buffer gxb, boolean accumulateGx,
                               Buffer gwb) {
        convBackward(g, a(gyb), a(wb), a(xb), gradOut(gxb, accumulateGx), orNull(gwb));
    }

    private static void convBackward(ConvGeometry g, double[] gy, double[] w, double[] x, double[] gx, double[] gw) {
        int ho = g.outH();
        int wo = g.outW();
        for (int b = 0; b < g.batch(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        double gv = gy[((b * g.outC() + o) * ho + py) * wo + px];
                        for (int c = 0; c < g.inC(); c++) {
                            for (int i = 0; i < g.kH(); i++) {
                                for (int j = 0; j < g.kW(); j++) {
                                    int iy = py * g.strideH() - g.padH() + i;
                                    int ix = px * g.strideW() - g.padW() + j;
                                    if (iy < 0 || iy >= g.inH() || ix < 0 || ix >= g.inW()) {
                                        continue;
                                    }
                                    int wi = ((o * g.inC() + c) * g.kH() + i) * g.kW() + j;
                                    int xi = ((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix;
                                    if (gx != null) {
                                        gx[xi] += gv * w[wi];
                                    }
                                    if (gw != null) {
                                        gw[wi] += gv * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Unfolds x into patches (batch * pixels, D), padded positions as zeros. */
    static double[] unfold(ConvGeometry g, double[] x) {
        int p = g.outH() * g.outW();
        int d = g.patchSize();
        double[] cols = new double[Math.toIntExact((long) g.batch() * p * d)];
        for (int b = 0; b < g.batch(); b++) {
            for (int py = 0; py < g.outH(); py++) {
                for (int px = 0; px < g.outW(); px++) {
                    int row = (b * p + py * g.outW() + px) * d;
                    for (int c = 0; c < g.inC(); c++) {
                        for (int i = 0; i < g.kH(); i++) {
                            for (int j = 0; j < g.kW(); j++) {
                                int iy = py * g.strideH() - g.padH() + i;
                                int ix = px * g.strideW() - g.padW() + j;
                                if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                    cols[row + (c * g.kH() + i) * g.kW() + j] =
                                            x[((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix];
                                }
                            }
                        }
                    }
                }
            }
        }
        return cols;
    }

    /** Adds patch gradients (batch * pixels, D) back into gx (B, C, H, W); padded positions drop. */
    static void fold(ConvGeometry g, double[] cols, double[] gx) {
        int p = g.outH() * g.outW();
        int d = g.patchSize();
        for (int b = 0; b < g.batch(); b++) {
            for (int py = 0; py < g.outH(); py++) {
                for (int px = 0; px < g.outW(); px++) {
                    int row = (b * p + py * g.outW() + px) * d;
                    for (int c = 0; c < g.inC(); c++) {
                        for (int i = 0; i < g.kH(); i++) {
                            for (int j = 0; j < g.kW(); j++) {
                                int iy = py * g.strideH() - g.padH() + i;
                                int ix = px * g.strideW() - g.padW() + j;
                                if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                    gx[((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix] +=
                                            cols[row + (c * g.kH() + i) * g.kW() + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ pooling

    @Override
    public void maxPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        double[] x = a(xb);
        double[] y = a(yb);
        forEachWindow(g, (plane, out, first, cells) -> {
            double best = Double.NEGATIVE_INFINITY;
            for (int c : cells) {
                best = Math.max(best, x[first + c]);
            }
            y[out] = best;
        });
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Buffer xb, Buffer gyb, Buffer gxb, boolean accumulate) {
        double[] x = a(xb);
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        forEachWindow(g, (plane, out, first, cells) -> {
            int arg = -1;
            double best = Double.NEGATIVE_INFINITY;
            for (int c : cells) {
                if (arg < 0 || x[first + c] > best) {
                    best = x[first + c];
                    arg = c;
                }
            }
            gx[first + arg] += gy[out];
        });
    }

    @Override
    public void avgPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        double[] x = a(xb);
        double[] y = a(yb);
        double area = g.kH() * g.kW();
        forEachWindow(g, (plane, out, first, cells) -> {
            double s = 0;
            for (int c : cells) {
                s += x[first + c];
            }
            y[out] = s / area;
        });
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Buffer gyb, Buffer gxb, boolean accumulate) {
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        double area = g.kH() * g.kW();
        forEachWindow(g, (plane, out, first, cells) -> {
            for (int c : cells) {
                gx[first + c] += gy[out] / area;
            }
        });
    }

    private interface WindowVisitor {
        /** cells: offsets (from first) of the window's in-bounds input cells, row-major. */
        void visit(int plane, int out, int first, int[] cells);
    }

    private static void forEachWindow(PoolGeometry g, WindowVisitor v) {
        int ho = g.outH();
        int wo = g.outW();
        for (int pl = 0; pl < g.planes(); pl++) {
            int first = pl * g.inH() * g.inW();
            for (int py = 0; py < ho; py++) {
                for (int px = 0; px < wo; px++) {
                    java.util.List<Integer> cells = new java.util.ArrayList<>();
                    for (int i = 0; i < g.kH(); i++) {
                        for (int j = 0; j < g.kW(); j++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            int ix = px * g.strideW() - g.padW() + j;
                            if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                cells.add(iy * g.inW() + ix);
                            }
                        }
                    }
                    v.visit(pl, (pl * ho + py) * wo + px, first, cells.stream().mapToInt(Integer::intValue).toArray());
                }
            }
        }
    }

    // ------------------------------------------------------------------ batch norm

    @Override
    public void batchNormTrain(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                               Buffer runMeanb, Buffer runVarb, float momentum, float eps,
                               Buffer yb, Buffer saveMeanb, Buffer saveInvStdb, boolean relu) {
        long m = (long) n * hw;
        if (m < 2) {
            throw new ShapeException("batch norm in training mode needs more than one value per channel, got " + m);
        }
        double[] x = a(xb);
        double[] y = a(yb);
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    mean += x[(b * c + ch) * hw + i];
                }
            }
            mean /= m;
            double var = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    double dv = x[(b * c + ch) * hw + i] - mean;
                    var += dv * dv;
                }
            }
            var /= m;
            double inv = 1.0 / Math.sqrt(var + eps);
            double gm = a(gammab)[ch];
            double bt = a(betab)[ch];
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    y[idx] = relu((x[idx] - mean) * inv * gm + bt, relu);
                }
            }
            a(saveMeanb)[ch] = mean;
            a(saveInvStdb)[ch] = inv;
            a(runMeanb)[ch] = (1 - momentum) * a(runMeanb)[ch] + momentum * mean;
            a(runVarb)[ch] = (1 - momentum) * a(runVarb)[ch] + momentum * var * m / (m - 1);
        }
    }

    /** v, or its {@link UnaryOp#RELU} (as map computes it here: NaN stays NaN) when relu. */
    private static double relu(double v, boolean relu) {
        return relu ? Math.max(v, 0) : v;
    }

    @Override
    public void batchNormEval(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer betab,
                              Buffer runMeanb, Buffer runVarb, float eps, Buffer yb, Buffer saveInvStdb,
                              boolean relu) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int ch = 0; ch < c; ch++) {
            double inv = 1.0 / Math.sqrt(a(runVarb)[ch] + eps);
            double mean = a(runMeanb)[ch];
            double gm = a(gammab)[ch];
            double bt = a(betab)[ch];
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    y[idx] = relu((x[idx] - mean) * inv * gm + bt, relu);
                }
            }
            if (saveInvStdb != null) {
                a(saveInvStdb)[ch] = inv;
            }
        }
    }

    @Override
    public void batchNormBackward(int n, int c, int hw, Buffer xb, Buffer gammab, Buffer meanb, Buffer invStdb,
                                  boolean batchStats, Buffer gyb, Buffer reluOutb, Buffer gxb, boolean accumulateGx,
                                  Buffer gGammab, Buffer gBetab) {
        double[] x = a(xb);
        double[] gy = a(gyb);
        if (reluOutb != null) {     // the ReLU's gradient first: gy where the output is positive
            double[] out = a(reluOutb);
            gy = gy.clone();
            for (int i = 0; i < gy.length; i++) {
                gy[i] = out[i] > 0 ? gy[i] : 0;
            }
        }
        double[] gx = gradOut(gxb, accumulateGx);
        double m = (double) n * hw;
        for (int ch = 0; ch < c; ch++) {
            double mean = a(meanb)[ch];
            double inv = a(invStdb)[ch];
            double gm = a(gammab)[ch];
            double sumGy = 0;
            double sumGyXhat = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    sumGy += gy[idx];
                    sumGyXhat += gy[idx] * (x[idx] - mean) * inv;
                }
            }
            if (gGammab != null) {
                a(gGammab)[ch] += sumGyXhat;
            }
            if (gBetab != null) {
                a(gBetab)[ch] += sumGy;
            }
            if (gx == null) {
                continue;
            }
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < hw; i++) {
                    int idx = (b * c + ch) * hw + i;
                    if (batchStats) {
                        double xhat = (x[idx] - mean) * inv;
                        gx[idx] += gm * inv / m * (m * gy[idx] - sumGy - xhat * sumGyXhat);
                    } else {
                        gx[idx] += gy[idx] * gm * inv;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ softmax and loss

    @Override
    public void logSoftmax(Buffer xb, Buffer yb, int rows, int cols) {
        double[] x = a(xb);
        double[] y = a(yb);
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(x[r * cols + j] - max);
            }
            double lse = max + Math.log(s);
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = x[r * cols + j] - lse;
            }
        }
    }

    @Override
    public void logSoftmaxBackward(Buffer yb, Buffer gyb, Buffer gxb, int rows, int cols, boolean accumulate) {
        double[] y = a(yb);
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += gy[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                gx[r * cols + j] += gy[r * cols + j] - Math.exp(y[r * cols + j]) * s;
            }
        }
    }

    @Override
    public void nllLoss(Buffer logpb, Buffer labelsb, Buffer outb, int rows, int cols) {
        double[] logp = a(logpb);
        double[] labels = a(labelsb);
        double[] out = a(outb);
        for (int r = 0; r < rows; r++) {
            out[r] = -logp[r * cols + label(labels[r], cols)];
        }
    }

    @Override
    public void nllLossBackward(Buffer goutb, Buffer labelsb, Buffer glogpb, int rows, int cols, boolean accumulate) {
        double[] gout = a(goutb);
        double[] labels = a(labelsb);
        double[] glogp = gradOut(glogpb, accumulate);
        for (int r = 0; r < rows; r++) {
            glogp[r * cols + label(labels[r], cols)] -= gout[r];
        }
    }

    private static int label(double v, int cols) {
        int l = (int) v;
        if (l != v || l < 0 || l >= cols) {
            throw new ShapeException("label " + v + " is not a class index in [0, " + cols + ")");
        }
        return l;
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
        conv2d(g, x, w, z0);
        int p = g.outH() * g.outW();
        int rows = g.batch() * p;
        double[] cols = unfold(g, a(x));
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
        double[] cols = unfold(g, a(x));
        double[] gcols = gx == null ? null : new double[cols.length];
        double[] chainRows = new double[n];
        ReferenceNrpm.backward(spec, rows, g.patchSize(), g.outC(), cols, a(w), stRows, gzK, gcols, orNull(gw), chainRows);
        double[] gxv = gradOut(gx, accumulateGx);
        if (gxv != null) {
            fold(g, gcols, gxv);
        }
        double[] gz0 = finishBackward(spec, n, lam, gyv, st, fromRows(g, chainRows), orNull(gLambda));
        convBackward(g, gz0, a(w), a(x), gxv, orNull(gw));   // the LPM sum z0 = conv2d(x, w)
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

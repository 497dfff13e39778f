package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.backend.Precision;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;
import dev.nrpm.matching.NrpmSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** float32 on the heap; see the package documentation for which work goes where. */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);

    private final String name;
    /**
     * LPM convolutions (and NRPM's z0) on oneDNN ({@link DnnlConv}) rather than our own
     * {@link CpuConv}: every forward, and every backward except that of a layer with one input
     * channel (LeNet's conv1, where oneDNN's backward is 1.2x slower than ours). A fixed rule backed
     * by bench/RESULTS.md "CPU: LPM convolutions on oneDNN, directly", not timed at run time, so
     * that a run's numbers do not depend on which path won a race.
     */
    private final boolean dnnlConv;

    /** The "cpu" backend: LPM convolutions on oneDNN wherever it loads (any x86-64 CPU). */
    public CpuBackend() {
        this("cpu", dnnlLoads());
    }

    private static boolean dnnlLoads() {
        String why = DnnlConv.unavailableReason();
        if (why != null) {
            LOG.warn("{}; the cpu backend runs its own convolutions (im2col + OpenBLAS), 2x to 4x slower", why);
        }
        return why == null;
    }

    /**
     * A CPU backend with our own LPM convolutions (im2col + OpenBLAS, FewChannelConv): the path
     * where oneDNN does not load, for tests and side-by-side benchmarks.
     */
    public static CpuBackend withOwnConvolutions(String name) {
        return new CpuBackend(name, false);
    }

    /** A CPU backend with the given convolution path (tests run both). */
    CpuBackend(String name, boolean dnnlConv) {
        this.name = name;
        this.dnnlConv = dnnlConv;
        LOG.debug("{} backend: LPM convolutions on {}", name,
                dnnlConv ? "oneDNN (org.bytedeco:dnnl)" : "im2col + OpenBLAS and FewChannelConv");
    }

    @Override
    public String name() {
        return name;
    }

    static CpuBuffer buffer(Buffer b) {
        if (!(b instanceof CpuBuffer)) {
            throw new NrpmException(b == null ? "missing buffer passed to the cpu backend"
                    : "buffer from another backend passed to the cpu backend");
        }
        return (CpuBuffer) b;
    }

    /** b's array, which the op may write (its native mirror, if any, is out of date afterwards). */
    static float[] a(Buffer b) {
        return buffer(b).array();
    }

    /** b's array, which the op only reads (its native mirror, if up to date, stays so). */
    static float[] r(Buffer b) {
        return buffer(b).readArray();
    }

    private static float[] readOrNull(Buffer b) {
        return b == null ? null : r(b);
    }

    private static float[] orNull(Buffer b) {
        return b == null ? null : a(b);
    }

    /** A gradient output that the primitive then adds into: zeroed first unless it accumulates. */
    private static float[] gradOut(Buffer b, boolean accumulate) {
        float[] v = orNull(b);
        if (v != null && !accumulate) {
            java.util.Arrays.fill(v, 0f);
        }
        return v;
    }

    private static int n(long n) {
        return Math.toIntExact(n);
    }

    static int label(float v, int cols) {
        int l = (int) v;
        if (l != v || l < 0 || l >= cols) {
            throw new ShapeException("label " + v + " is not a class index in [0, " + cols + ")");
        }
        return l;
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buffer allocate(long length) {
        return new CpuBuffer(ArrayPool.zeroed(n(length)));
    }

    /** From the arrays of released buffers where one of this length is free (ArrayPool). */
    @Override
    public Buffer allocateUninitialized(long length) {
        return new CpuBuffer(ArrayPool.uninitialized(n(length)));
    }

    @Override
    public Buffer upload(float[] host) {
        return new CpuBuffer(host.clone());
    }

    @Override
    public Buffer upload(double[] host) {
        return new CpuBuffer(Precision.toFloat(host));
    }

    @Override
    public float[] download(Buffer src) {
        return r(src).clone();
    }

    @Override
    public double[] downloadDouble(Buffer src) {
        return Precision.toDouble(r(src));
    }

    @Override
    public void copy(Buffer src, Buffer dst, long n) {
        System.arraycopy(r(src), 0, a(dst), 0, n(n));
    }

    @Override
    public void fill(Buffer dst, float value) {
        java.util.Arrays.fill(a(dst), value);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void map(UnaryOp op, Buffer x, Buffer y, long n) {
        CpuElementwise.map(op, r(x), a(y), n(n));
    }

    @Override
    public void zip(BinaryOp op, Buffer x, Buffer z, Buffer y, long n) {
        CpuElementwise.zip(op, r(x), r(z), a(y), n(n));
    }

    @Override
    public void axpby(float alpha, Buffer x, float beta, Buffer y, long n) {
        CpuElementwise.axpby(alpha, r(x), beta, a(y), n(n));
    }

    @Override
    public void affineClamp(Buffer x, float scale, float shift, float lo, float hi, Buffer y, long n) {
        CpuElementwise.affineClamp(r(x), scale, shift, lo, hi, a(y), n(n));
    }

    @Override
    public long countNonFinite(Buffer x, long n) {
        return CpuElementwise.countNonFinite(r(x), n(n));
    }

    @Override
    public void addChannels(Buffer v, float alpha, Buffer y, int outer, int channels, int inner) {
        CpuElementwise.addChannels(r(v), alpha, a(y), outer, channels, inner);
    }

    @Override
    public void mulChannels(Buffer x, Buffer s, Buffer y, int outer, int channels, int inner) {
        CpuElementwise.mulChannels(r(x), r(s), a(y), outer, channels, inner);
    }

    @Override
    public void sumChannels(Buffer x, Buffer out, int outer, int channels, int inner, boolean accumulate) {
        CpuElementwise.sumChannels(r(x), a(out), outer, channels, inner, accumulate);
    }

    // ------------------------------------------------------------------ matrix product and convolution

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buffer ab, Buffer bb, float beta, Buffer cb) {
        Nd4jOps.gemm(transA, transB, m, n, k, alpha, r(ab), r(bb), beta, a(cb));
    }

    @Override
    public void conv2d(ConvGeometry g, Buffer x, Buffer w, Buffer b, Buffer y) {
        if (dnnlConv) {   // x and y through their native mirrors: no copy where one is up to date
            DnnlConv.forward(g, buffer(x), r(w), readOrNull(b), buffer(y));
            return;
        }
        float[] yv = a(y);
        CpuConv.forward(g, r(x), r(w), yv);
        if (b != null) {
            CpuElementwise.addChannels(r(b), 1f, yv, g.batch(), g.outC(), g.outH() * g.outW());
        }
    }

    @Override
    public void conv2dBackward(ConvGeometry g, Buffer x, Buffer w, Buffer gy, Buffer gx, boolean accumulateGx,
                               Buffer gw, Buffer gb) {
        boolean onDnnl = dnnlConv && g.inC() > 1;
        if (gb != null && !(onDnnl && gw != null)) {   // else it comes with gw's primitive
            CpuElementwise.sumChannels(r(gy), a(gb), g.batch(), g.outC(), g.outH() * g.outW(), true);
            gb = null;
        }
        if (gx == null && gw == null) {
            return;
        }
        if (onDnnl) {
            DnnlConv.backward(g, buffer(x), r(w), buffer(gy), gx == null ? null : buffer(gx), accumulateGx,
                    orNull(gw), orNull(gb));
            return;
        }
        float[] gxv = orNull(gx);
        if (gxv != null && !accumulateGx) {
            java.util.Arrays.fill(gxv, 0f);
        }
        CpuConv.backward(g, r(x), r(w), r(gy), gxv, orNull(gw));
    }

    // ------------------------------------------------------------------ pooling and batch norm

    @Override
    public void maxPool2d(PoolGeometry g, Buffer x, Buffer y) {
        CpuPooling.max(g, r(x), a(y));
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Buffer x, Buffer gy, Buffer gx, boolean accumulate) {
        CpuPooling.maxBackward(g, r(x), r(gy), gradOut(gx, accumulate));
    }

    @Override
    public void avgPool2d(PoolGeometry g, Buffer x, Buffer y) {
        CpuPooling.avg(g, r(x), a(y));
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Buffer gy, Buffer gx, boolean accumulate) {
        CpuPooling.avgBackward(g, r(gy), gradOut(gx, accumulate));
    }

    @Override
    public void batchNormTrain(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                               Buffer runVar, float momentum, float eps, Buffer y, Buffer saveMean, Buffer saveInvStd,
                               boolean relu) {
        if ((long) n * hw < 2) {
            throw new ShapeException("batch norm in training mode needs more than one value per channel");
        }
        CpuBatchNorm.train(n, c, hw, r(x), r(gamma), r(beta), a(runMean), a(runVar), momentum, eps, a(y),
                a(saveMean), a(saveInvStd), relu);
    }

    @Override
    public void batchNormEval(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                              Buffer runVar, float eps, Buffer y, Buffer saveInvStd, boolean relu) {
        CpuBatchNorm.eval(n, c, hw, r(x), r(gamma), r(beta), r(runMean), r(runVar), eps, a(y), orNull(saveInvStd),
                relu);
    }

    @Override
    public void batchNormBackward(int n, int c, int hw, Buffer x, Buffer gamma, Buffer mean, Buffer invStd,
                                  boolean batchStats, Buffer gy, Buffer reluOut, Buffer gx, boolean accumulateGx,
                                  Buffer gGamma, Buffer gBeta) {
        CpuBatchNorm.backward(n, c, hw, r(x), r(gamma), r(mean), r(invStd), batchStats, r(gy), readOrNull(reluOut),
                orNull(gx), accumulateGx, orNull(gGamma), orNull(gBeta));
    }

    // ------------------------------------------------------------------ softmax, loss, randomness

    @Override
    public void logSoftmax(Buffer x, Buffer y, int rows, int cols) {
        CpuElementwise.logSoftmax(r(x), a(y), rows, cols);
    }

    @Override
    public void logSoftmaxBackward(Buffer y, Buffer gy, Buffer gx, int rows, int cols, boolean accumulate) {
        CpuElementwise.logSoftmaxBackward(r(y), r(gy), gradOut(gx, accumulate), rows, cols);
    }

    @Override
    public void nllLoss(Buffer logp, Buffer labels, Buffer out, int rows, int cols) {
        CpuElementwise.nllLoss(r(logp), r(labels), a(out), rows, cols);
    }

    @Override
    public void nllLossBackward(Buffer gout, Buffer labels, Buffer glogp, int rows, int cols, boolean accumulate) {
        CpuElementwise.nllLossBackward(r(gout), r(labels), gradOut(glogp, accumulate), rows, cols);
    }

    @Override
    public void dropout(Buffer x, Buffer y, long n, int inner, float p, long seed, boolean accumulate) {
        CpuElementwise.dropout(r(x), a(y), n(n), inner, p, seed, accumulate);
    }

    @Override
    public void randomUniform(Buffer y, long n, float lo, float hi, long seed) {
        CpuElementwise.randomUniform(a(y), n(n), lo, hi, seed);
    }

    @Override
    public void randomNormal(Buffer y, long n, float mean, float std, long seed) {
        CpuElementwise.randomNormal(a(y), n(n), mean, std, seed);
    }

    // ------------------------------------------------------------------ NRPM

    @Override
    public void nrpmDense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias,
                          Buffer lambda, Buffer y, Buffer state) {
        float[] z0 = new float[batch * out];   // the LPM sum, by BLAS
        Nd4jOps.gemm(false, true, batch, out, in, 1f, a(x), a(w), 0f, z0);
        FusedNrpmDense.forward(spec, batch, in, out, a(x), a(w), orNull(bias), a(lambda)[0], z0, a(y),
                orNull(state));
    }

    @Override
    public void nrpmDenseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda,
                                  Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                                  Buffer gLambda) {
        float[] gxv = gradOut(gx, accumulateGx);
        if (spec.k() == 0) {   // plain LPM: y = x w^T + b, lambda has no effect
            if (gxv != null) {
                Nd4jOps.gemm(false, false, batch, in, out, 1f, a(gy), a(w), 1f, gxv);
            }
            if (gw != null) {
                Nd4jOps.gemm(true, false, out, in, batch, 1f, a(gy), a(x), 1f, a(gw));
            }
            return;
        }
        FusedNrpmDense.backward(spec, batch, in, out, a(x), a(w), a(lambda)[0], a(state), a(gy), gxv, orNull(gw),
                orNull(gLambda));
    }

    @Override
    public void nrpmConv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias, Buffer lambda,
                           Buffer y, Buffer state) {
        // the LPM sum, by oneDNN where it runs (x through its native mirror)
        try (CpuBuffer z0 = new CpuBuffer(ArrayPool.uninitialized(Math.toIntExact(g.outputSize())))) {
            if (dnnlConv) {
                DnnlConv.forward(g, buffer(x), r(w), null, z0);
            } else {
                CpuConv.forward(g, r(x), r(w), z0.array());
            }
            FusedNrpmConv.forward(spec, g, r(x), r(w), readOrNull(bias), r(lambda)[0], z0.array(), a(y),
                    orNull(state));
        }
    }

    @Override
    public void nrpmConv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda, Buffer state,
                                   Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda) {
        if (spec.k() == 0) {   // plain LPM: y = conv2d(x, w) + b, lambda has no effect
            conv2dBackward(g, x, w, gy, gx, accumulateGx, gw, null);
            return;
        }
        float[] gxv = gradOut(gx, accumulateGx);
        FusedNrpmConv.backward(spec, g, a(x), a(w), a(lambda)[0], a(state), a(gy), gxv, orNull(gw), orNull(gLambda));
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void sgdStep(Buffer param, Buffer grad, Buffer velocity, long n, float lr, float momentum,
                        float weightDecay, boolean nesterov) {
        CpuElementwise.sgdStep(a(param), r(grad), a(velocity), n(n), lr, momentum, weightDecay, nesterov);
    }
}

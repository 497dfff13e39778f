package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.backend.Precision;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.matching.NrpmSpec;

/**
 * Every primitive as a launch of one of our kernels (kernels/README.md is the contract: entry
 * points, argument order, launch shapes). Each op family lives in its own class beside the kernel
 * file it launches: CudaElementwise (elementwise.cu), CudaGemm (gemm.cu), CudaConv (conv2d.cu),
 * CudaPooling (pool.cu), CudaBatchNorm (batchnorm.cu), CudaLoss (softmax_xent.cu), CudaNrpm
 * (nrpm_dense.cu, nrpm_conv.cu); this class holds memory and delegates. Launches are queued on the
 * device's stream; downloads wait for them, and read the deferred finiteness checks first.
 * Host-side checks that the other backends make (shapes, labels) are made before anything is queued.
 */
public final class CudaBackend implements Backend {
    private final Device device;
    private final String name;
    private final Launcher launcher;
    private final FiniteChecks checks;
    private final CudaElementwise elementwise;
    private final CudaGemm gemm;
    private final CudaConv conv;
    private final CudaPooling pooling;
    private final CudaBatchNorm batchNorm;
    private final CudaLoss loss;
    private final CudaNrpm nrpm;

    public CudaBackend(Device device, String name) {
        this.device = device;
        this.name = name;
        this.launcher = new Launcher(device, name);
        this.checks = new FiniteChecks(launcher);
        this.elementwise = new CudaElementwise(launcher);
        this.gemm = new CudaGemm(launcher);
        this.conv = new CudaConv(launcher);
        this.pooling = new CudaPooling(launcher);
        this.batchNorm = new CudaBatchNorm(launcher);
        this.loss = new CudaLoss(launcher, checks);
        this.nrpm = new CudaNrpm(launcher, gemm, conv);
    }

    @Override
    public String name() {
        return name;
    }

    /** The device this backend launches on (benchmarks read its memory figures). */
    public Device device() {
        return device;
    }

    @Override
    public void synchronize() {
        device.synchronize();
        checks.flush();
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buffer allocate(long length) {
        CudaBuffer b = new CudaBuffer(device, length);
        device.fill32(b.pointer(), 0, Math.max(length, 1));
        return b;
    }

    @Override
    public Buffer allocateUninitialized(long length) {
        return new CudaBuffer(device, length);
    }

    @Override
    public Buffer upload(float[] host) {
        CudaBuffer b = new CudaBuffer(device, host.length);
        device.copyIn(b.pointer(), host, host.length);
        return b;
    }

    @Override
    public Buffer upload(double[] host) {
        return upload(Precision.toFloat(host));
    }

    @Override
    public float[] download(Buffer src) {
        checks.flush();
        float[] out = new float[Math.toIntExact(src.length())];
        device.copyOut(launcher.p(src), out, out.length);
        return out;
    }

    @Override
    public double[] downloadDouble(Buffer src) {
        return Precision.toDouble(download(src));
    }

    @Override
    public void copy(Buffer src, Buffer dst, long n) {
        if (n > 0) {
            device.copy(launcher.p(src), launcher.p(dst), 4 * n);
        }
    }

    @Override
    public void fill(Buffer dst, float value) {
        device.fill32(launcher.p(dst), Float.floatToRawIntBits(value), Math.max(dst.length(), 1));
    }

    // ------------------------------------------------------------------ elementwise, checks, randomness

    @Override
    public void map(UnaryOp op, Buffer x, Buffer y, long n) {
        elementwise.map(op, x, y, n);
    }

    @Override
    public void zip(BinaryOp op, Buffer a, Buffer b, Buffer y, long n) {
        elementwise.zip(op, a, b, y, n);
    }

    @Override
    public void axpby(float alpha, Buffer x, float beta, Buffer y, long n) {
        elementwise.axpby(alpha, x, beta, y, n);
    }

    @Override
    public void affineClamp(Buffer x, float scale, float shift, float lo, float hi, Buffer y, long n) {
        elementwise.affineClamp(x, scale, shift, lo, hi, y, n);
    }

    @Override
    public long countNonFinite(Buffer x, long n) {
        return checks.count(x, n);
    }

    /** Deferred: see FiniteChecks; the exception comes from the next download or synchronize. */
    @Override
    public void requireFinite(Buffer x, long n, String what) {
        checks.require(x, n, what);
    }

    @Override
    public void addChannels(Buffer v, float alpha, Buffer y, int outer, int channels, int inner) {
        elementwise.addChannels(v, alpha, y, outer, channels, inner);
    }

    @Override
    public void mulChannels(Buffer x, Buffer s, Buffer y, int outer, int channels, int inner) {
        elementwise.mulChannels(x, s, y, outer, channels, inner);
    }

    @Override
    public void sumChannels(Buffer x, Buffer out, int outer, int channels, int inner, boolean accumulate) {
        elementwise.sumChannels(x, out, outer, channels, inner, accumulate);
    }

    @Override
    public void dropout(Buffer x, Buffer y, long n, int inner, float prob, long seed, boolean accumulate) {
        elementwise.dropout(x, y, n, inner, prob, seed, accumulate);
    }

    @Override
    public void randomUniform(Buffer y, long n, float lo, float hi, long seed) {
        elementwise.randomUniform(y, n, lo, hi, seed);
    }

    @Override
    public void randomNormal(Buffer y, long n, float mean, float std, long seed) {
        elementwise.randomNormal(y, n, mean, std, seed);
    }

    // ------------------------------------------------------------------ matrix product, convolution, pooling

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buffer a, Buffer b,
                     float beta, Buffer c) {
        gemm.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public void conv2d(ConvGeometry g, Buffer x, Buffer w, Buffer b, Buffer y) {
        conv.conv2d(g, x, w, y);
        if (b != null) {
            elementwise.addChannels(b, 1f, y, g.batch(), g.outC(), g.outH() * g.outW());
        }
    }

    @Override
    public void conv2dBackward(ConvGeometry g, Buffer x, Buffer w, Buffer gy, Buffer gx, boolean accumulateGx,
                               Buffer gw, Buffer gb) {
        conv.conv2dBackward(g, x, w, gy, gx, accumulateGx, gw);
        if (gb != null) {
            elementwise.sumChannels(gy, gb, g.batch(), g.outC(), g.outH() * g.outW(), true);
        }
    }

    @Override
    public void maxPool2d(PoolGeometry g, Buffer x, Buffer y) {
        pooling.maxPool2d(g, x, y);
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Buffer x, Buffer gy, Buffer gx, boolean accumulate) {
        pooling.maxPool2dBackward(g, x, gy, gx, accumulate);
    }

    @Override
    public void avgPool2d(PoolGeometry g, Buffer x, Buffer y) {
        pooling.avgPool2d(g, x, y);
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Buffer gy, Buffer gx, boolean accumulate) {
        pooling.avgPool2dBackward(g, gy, gx, accumulate);
    }

    // ------------------------------------------------------------------ batch norm, softmax and loss

    @Override
    public void batchNormTrain(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                               Buffer runVar, float momentum, float eps, Buffer y, Buffer saveMean, Buffer saveInvStd,
                               boolean relu) {
        batchNorm.train(n, c, hw, x, gamma, beta, runMean, runVar, momentum, eps, y, saveMean, saveInvStd, relu);
    }

    @Override
    public void batchNormEval(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                              Buffer runVar, float eps, Buffer y, Buffer saveInvStd, boolean relu) {
        batchNorm.eval(n, c, hw, x, gamma, beta, runMean, runVar, eps, y, saveInvStd, relu);
    }

    @Override
    public void batchNormBackward(int n, int c, int hw, Buffer x, Buffer gamma, Buffer mean, Buffer invStd,
                                  boolean batchStats, Buffer gy, Buffer reluOut, Buffer gx, boolean accumulateGx,
                                  Buffer gGamma, Buffer gBeta) {
        batchNorm.backward(n, c, hw, x, gamma, mean, invStd, batchStats, gy, reluOut, gx, accumulateGx, gGamma, gBeta);
    }

    @Override
    public void logSoftmax(Buffer x, Buffer y, int rows, int cols) {
        loss.logSoftmax(x, y, rows, cols);
    }

    @Override
    public void logSoftmaxBackward(Buffer y, Buffer gy, Buffer gx, int rows, int cols, boolean accumulate) {
        loss.logSoftmaxBackward(y, gy, gx, rows, cols, accumulate);
    }

    @Override
    public void nllLoss(Buffer logp, Buffer labels, Buffer out, int rows, int cols) {
        loss.nllLoss(logp, labels, out, rows, cols);
    }

    @Override
    public void nllLossBackward(Buffer gout, Buffer labels, Buffer glogp, int rows, int cols, boolean accumulate) {
        loss.nllLossBackward(gout, labels, glogp, rows, cols, accumulate);
    }

    // ------------------------------------------------------------------ NRPM

    @Override
    public void nrpmDense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias,
                          Buffer lambda, Buffer y, Buffer state) {
        nrpm.dense(spec, batch, in, out, x, w, bias, lambda, y, state);
    }

    @Override
    public void nrpmDenseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda,
                                  Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                                  Buffer gLambda) {
        nrpm.denseBackward(spec, batch, in, out, x, w, lambda, state, gy, gx, accumulateGx, gw, gLambda);
    }

    @Override
    public void nrpmConv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias, Buffer lambda,
                           Buffer y, Buffer state) {
        nrpm.conv2d(spec, g, x, w, bias, lambda, y, state);
    }

    @Override
    public void nrpmConv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda, Buffer state,
                                   Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda) {
        nrpm.conv2dBackward(spec, g, x, w, lambda, state, gy, gx, accumulateGx, gw, gLambda);
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void sgdStep(Buffer param, Buffer grad, Buffer velocity, long n, float lr, float momentum,
                        float weightDecay, boolean nesterov) {
        elementwise.sgdStep(param, grad, velocity, n, lr, momentum, weightDecay, nesterov);
    }

    @Override
    public void sgdSteps(Buffer[] params, Buffer[] grads, Buffer[] velocities, long[] lengths, float lr,
                         float momentum, float weightDecay, boolean nesterov) {
        if (!elementwise.sgdSteps(params, grads, velocities, lengths, lr, momentum, weightDecay, nesterov)) {
            Backend.super.sgdSteps(params, grads, velocities, lengths, lr, momentum, weightDecay, nesterov);
        }
    }

    @Override
    public void zeroBuffers(Buffer[] buffers) {
        if (!elementwise.zeroBuffers(buffers)) {
            Backend.super.zeroBuffers(buffers);
        }
    }
}

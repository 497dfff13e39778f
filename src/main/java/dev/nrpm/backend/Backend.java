package dev.nrpm.backend;

import dev.nrpm.error.NonFiniteException;

import dev.nrpm.matching.NrpmSpec;

/**
 * The contract every backend implements: memory, plus the primitives that MLP, LeNet, ResNet-18,
 * NRPM, the attacks and SGD need. Nothing more; composite operations are built from these in
 * {@code dev.nrpm.ops}.
 *
 * <p>Conventions. Buffers hold row-major data; every tensor's layout is written next to the
 * primitive (NCHW for images). Lengths are element counts. A primitive whose name ends in
 * {@code Backward} <em>adds</em> into its gradient outputs ({@code +=}), so gradients from several
 * uses accumulate; any gradient output may be null when nobody needs it. The exception is the
 * input gradient (gx), whose flag {@code accumulate} (or {@code accumulateGx}) says whether to add
 * or to overwrite: when false the primitive writes every element of gx and never reads it, so a
 * tensor's first gradient needs no zero-filled buffer ({@code dev.nrpm.tensor.GradSink}). Forward primitives
 * overwrite their outputs, and never read them first. Random primitives use a counter-based
 * generator ({@link CounterRng}) so every backend draws the same numbers for the same seed.
 */
public interface Backend {

    /** Short name used on the command line and in logs: reference, cpu, cuda. */
    String name();

    /** Waits until all queued work is done (a no-op for synchronous backends). */
    default void synchronize() {
    }

    // ------------------------------------------------------------------ memory

    /** A new zero-filled buffer. */
    Buffer allocate(long length);

    /**
     * A new buffer whose contents are undefined, for an output the next primitive overwrites
     * whole (the conformance suite's poisoned-output checks hold every primitive to that). Spares
     * the GPU a memset per buffer; elsewhere the same as {@link #allocate}.
     */
    default Buffer allocateUninitialized(long length) {
        return allocate(length);
    }

    Buffer upload(float[] host);

    Buffer upload(double[] host);

    float[] download(Buffer src);

    double[] downloadDouble(Buffer src);

    /** dst[0, n) = src[0, n). */
    void copy(Buffer src, Buffer dst, long n);

    void fill(Buffer dst, float value);

    // ------------------------------------------------------------------ elementwise, n elements

    void map(UnaryOp op, Buffer x, Buffer y, long n);

    void zip(BinaryOp op, Buffer a, Buffer b, Buffer y, long n);

    /** y = alpha * x + beta * y; with beta == 0, y is not read. */
    void axpby(float alpha, Buffer x, float beta, Buffer y, long n);

    /** y = clamp(scale * x + shift, lo, hi). */
    void affineClamp(Buffer x, float scale, float shift, float lo, float hi, Buffer y, long n);

    /** How many of x[0, n) are NaN or infinite. */
    long countNonFinite(Buffer x, long n);

    /**
     * Fails with {@link NonFiniteException#counted} naming what when x[0, n) holds NaN or infinite
     * values. A backend may defer the check to its next download so as not to wait for the device
     * here (the CUDA backend does); the exception, naming what, then comes from that call.
     */
    default void requireFinite(Buffer x, long n, String what) {
        long bad = countNonFinite(x, n);
        if (bad > 0) {
            throw NonFiniteException.counted(what, bad, n);
        }
    }

    // ------------------------------------------------------------------ per-channel, layout (outer, channels, inner)

    /** y[o, c, i] += alpha * v[c]: bias addition, scalar broadcast (channels = 1). */
    void addChannels(Buffer v, float alpha, Buffer y, int outer, int channels, int inner);

    /** y[o, c, i] = x[o, c, i] * s[c]. */
    void mulChannels(Buffer x, Buffer s, Buffer y, int outer, int channels, int inner);

    /** out[c] = (accumulate ? out[c] : 0) + sum over o, i of x[o, c, i]. */
    void sumChannels(Buffer x, Buffer out, int outer, int channels, int inner, boolean accumulate);

    // ------------------------------------------------------------------ matrix product

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major, C (m, n); op(A) (m, k) stored as (m, k),
     * or as (k, m) when transA; op(B) (k, n) stored as (k, n), or (n, k) when transB.
     * With beta == 0, C is not read.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Buffer a, Buffer b, float beta, Buffer c);

    // ------------------------------------------------------------------ convolution (see ConvGeometry)

    /**
     * y (B, O, Ho, Wo) = conv(x (B, C, H, W), w (O, C, kh, kw)) + b (O), b may be null. The bias is
     * part of the call so that a backend whose library adds it in the convolution's own pass does.
     */
    void conv2d(ConvGeometry g, Buffer x, Buffer w, Buffer b, Buffer y);

    /**
     * Gradients of {@link #conv2d} for gy (B, O, Ho, Wo): gx (B, C, H, W) = (accumulateGx ? gx : 0)
     * + conv_transpose(gy, w), gw (O, C, kh, kw) += correlation of x with gy, gb (O) += gy summed
     * over batch and pixels. Any output may be null (one call, so a backend that computes them
     * together does so once).
     */
    void conv2dBackward(ConvGeometry g, Buffer x, Buffer w, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                        Buffer gb);

    // ------------------------------------------------------------------ pooling (see PoolGeometry)

    void maxPool2d(PoolGeometry g, Buffer x, Buffer y);

    /** Sends gy to the first maximum of each window (recomputed from x): gx = (accumulate ? gx : 0) + that. */
    void maxPool2dBackward(PoolGeometry g, Buffer x, Buffer gy, Buffer gx, boolean accumulate);

    void avgPool2d(PoolGeometry g, Buffer x, Buffer y);

    /** gx = (accumulate ? gx : 0) + each window's gy spread over its cells (divided by kh kw). */
    void avgPool2dBackward(PoolGeometry g, Buffer gy, Buffer gx, boolean accumulate);

    // ------------------------------------------------------------------ batch norm, x (n, c, hw)

    /**
     * Normalizes with the batch statistics (biased variance), writes saveMean[c] and
     * saveInvStd[c] = 1/sqrt(var + eps), and updates the running statistics in place:
     * run = (1 - momentum) * run + momentum * batch, with the unbiased variance (PyTorch's rule).
     * With relu, y is {@link UnaryOp#RELU} of that, as this backend's map computes it (batch norm
     * and the ReLU after it in one pass, the pre-activation never stored).
     */
    void batchNormTrain(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta,
                        Buffer runMean, Buffer runVar, float momentum, float eps,
                        Buffer y, Buffer saveMean, Buffer saveInvStd, boolean relu);

    /** Normalizes with the running statistics; writes saveInvStd when it is not null; relu as above. */
    void batchNormEval(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta,
                       Buffer runMean, Buffer runVar, float eps, Buffer y, Buffer saveInvStd, boolean relu);

    /**
     * Gradients of either forward. batchStats says whether mean and invStd were computed from x
     * (training) or are constants (evaluation, mean = running mean). gx is added to or overwritten
     * as accumulateGx says; gGamma and gBeta are added to. reluOut, when not null, is the output of
     * a forward with relu: gy then counts only where reluOut > 0 (the ReLU's gradient, fused);
     * where reluOut is NaN the gradient there is 0 or NaN, as the backend finds fastest (the CPU's
     * vectorized mask gives NaN; the input there was NaN, so its channel's training gradient is
     * NaN in every backend).
     */
    void batchNormBackward(int n, int c, int hw, Buffer x, Buffer gamma, Buffer mean, Buffer invStd,
                           boolean batchStats, Buffer gy, Buffer reluOut, Buffer gx, boolean accumulateGx,
                           Buffer gGamma, Buffer gBeta);

    // ------------------------------------------------------------------ softmax and loss, x (rows, cols)

    void logSoftmax(Buffer x, Buffer y, int rows, int cols);

    /** gx = (accumulate ? gx : 0) + gy - exp(y) * rowsum(gy), with y the log-softmax output. */
    void logSoftmaxBackward(Buffer y, Buffer gy, Buffer gx, int rows, int cols, boolean accumulate);

    /** out[r] = -logp[r, labels[r]]; labels hold class indices as exact floats. */
    void nllLoss(Buffer logp, Buffer labels, Buffer out, int rows, int cols);

    /** glogp[r, labels[r]] += -gout[r]; without accumulate, every other element of glogp becomes 0. */
    void nllLossBackward(Buffer gout, Buffer labels, Buffer glogp, int rows, int cols, boolean accumulate);

    // ------------------------------------------------------------------ randomness (CounterRng streams)

    /**
     * y[i] = (accumulate ? y[i] : 0) + x[i] * m(i / inner), where m(j) = 0 with probability p and
     * 1/(1-p) otherwise, drawn from stream seed at index j. inner = 1 drops elements, inner = H*W
     * drops whole channels. Run again with the same seed on the gradient for the backward pass.
     */
    void dropout(Buffer x, Buffer y, long n, int inner, float p, long seed, boolean accumulate);

    /** y[i] = lo + (hi - lo) * u(seed, i), u uniform in [0, 1). */
    void randomUniform(Buffer y, long n, float lo, float hi, long seed);

    /** y[i] = mean + std * g(seed, i), g standard normal (Box-Muller on two uniforms). */
    void randomNormal(Buffer y, long n, float mean, float std, long seed);

    // ------------------------------------------------------------------ NRPM (NRPM.md), fused

    /**
     * Dense NRPM: x (B, D), w (O, D), bias (O) or null, lambda (1). y (B, O) = lambda * z0 +
     * (1 - lambda) * z(K) + bias, where z0 = x w^T, the LPM sum and the iteration's start, is the
     * backend's to compute (the CUDA kernel takes it as one more pass over the terms). When state
     * is not null it receives spec.stateLength(B * O) values for the backward pass (see
     * {@link NrpmSpec}). Never materializes anything of size B x O x D.
     */
    void nrpmDense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias,
                   Buffer lambda, Buffer y, Buffer state);

    /**
     * Backward of {@link #nrpmDense}: given gy (B, O), puts the whole gradient of y with respect
     * to x into gx (B, D) (added, or written over gx when not accumulateGx) and adds the one with
     * respect to w into gw (O, D), both through the reweighting steps and through the LPM sum z0
     * (one pass: every term takes z0's total gradient beside its own, NRPM.md section 4; K = 0 is
     * plain LPM), and adds dL/dlambda into gLambda (1). gx, gw and gLambda may be null; the bias's
     * gradient (the sum of gy) is the caller's.
     */
    void nrpmDenseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda,
                           Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda);

    /** Convolutional NRPM: as {@link #nrpmDense}, one output per (b, o, pixel), z0 = conv2d(x, w). */
    void nrpmConv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias,
                    Buffer lambda, Buffer y, Buffer state);

    /** Backward of {@link #nrpmConv2d}, as {@link #nrpmDenseBackward}. */
    void nrpmConv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda,
                            Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda);

    // ------------------------------------------------------------------ optimizer

    /**
     * SGD with momentum and weight decay, PyTorch's rule (dampening 0):
     * d = g + wd * p; v = momentum * v + d; p -= lr * (nesterov ? d + momentum * v : v).
     */
    void sgdStep(Buffer param, Buffer grad, Buffer velocity, long n,
                 float lr, float momentum, float weightDecay, boolean nesterov);

    /**
     * {@link #sgdStep} for several parameters at once: params[i], grads[i], velocities[i] of
     * lengths[i] values (the arrays are the caller's and are not kept). The GPU does it in one
     * launch instead of one per parameter.
     */
    default void sgdSteps(Buffer[] params, Buffer[] grads, Buffer[] velocities, long[] lengths,
                          float lr, float momentum, float weightDecay, boolean nesterov) {
        for (int i = 0; i < params.length; i++) {
            sgdStep(params[i], grads[i], velocities[i], lengths[i], lr, momentum, weightDecay, nesterov);
        }
    }

    /** Sets every value of every buffer to 0 (an optimizer's gradients: the GPU does it in one launch). */
    default void zeroBuffers(Buffer[] buffers) {
        for (Buffer b : buffers) {
            fill(b, 0f);
        }
    }
}

package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.backend.Precision;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;
import dev.nrpm.matching.NrpmSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every primitive as a launch of one of our kernels (kernels/README.md is the contract: entry
 * points, argument order, launch shapes). Launches are queued on the device's stream; downloads
 * wait for them. Host-side checks that the other backends make (shapes, batch-norm counts) are
 * made here before anything is queued.
 */
public final class CudaBackend implements Backend {
    private static final int BLOCK = 256;
    private static final int MAX_GRID = 4096;
    private static final int TILE = 64;
    /** Most slices a weight gradient's reduction is split into (gridDim.z of the split-K launch). */
    private static final int MAX_SLICES = 64;
    /** Fewest values a batch-norm slice is given (kernels/batchnorm.cu splits channels into slices). */
    private static final int MIN_SLICE_VALUES = 32;
    /** Finiteness checks that may be pending at once (requireFinite); one more reads them first. */
    private static final int CHECK_SLOTS = 256;

    private final Device device;
    private final String name;
    /** Most floats of the conv gx's column-gradient scratch; larger batches go in chunks. */
    private final long gcolMaxFloats;
    /** Pending finiteness checks (requireFinite), in slot order; their counts are in checkCounts. */
    private final List<PendingCheck> pendingChecks = new ArrayList<>();
    /** CHECK_SLOTS unsigned 64-bit counts on the device, zero where no check is pending; lazily made. */
    private DevicePointer checkCounts;

    private record PendingCheck(String what, long n) {
    }

    /** Device tables of the optimizer's buffers for sgd_multi and zero_multi. */
    private final AddressTable sgdTable;
    private final AddressTable zeroTable;

    /** The labels buffer checkLabels last passed (ops never write labels), and its shape. */
    private Buffer checkedLabels;
    private int checkedRows;
    private int checkedCols;

    /**
     * -Dnrpm.cuda.gcolMaxFloats (default 32M) caps the conv gx's scratch: less memory, more
     * batch chunks. Surefire's fake-driver run sets it small, so that path runs on small layers.
     */
    public CudaBackend(Device device, String name) {
        this.device = device;
        this.name = name;
        this.gcolMaxFloats = Long.getLong("nrpm.cuda.gcolMaxFloats", GCOL_MAX_FLOATS);
        this.sgdTable = new AddressTable(device);
        this.zeroTable = new AddressTable(device);
        if (gcolMaxFloats < 1) {
            throw new NrpmException("-Dnrpm.cuda.gcolMaxFloats must be positive, got " + gcolMaxFloats);
        }
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
        flushChecks();
    }

    private DevicePointer p(Buffer b) {
        if (b == null) {
            return null;
        }
        if (!(b instanceof CudaBuffer) || ((CudaBuffer) b).device() != device) {
            throw new NrpmException("buffer from another backend passed to the " + name + " backend");
        }
        return ((CudaBuffer) b).pointer();
    }

    /**
     * A work buffer of this call, owned by its caller's try-with-resources rather than by the open
     * MemoryScope, so it goes back to the device as soon as the call is done with it.
     */
    private CudaBuffer scratch(long floats) {
        CudaBuffer b = new CudaBuffer(device, floats);
        b.moveTo(null);
        return b;
    }

    private static int intLength(long n) {
        return Math.toIntExact(n);
    }

    /** 1-D launch over n elements: grid-stride kernels. */
    private void launch1d(String kernel, long n, Object... args) {
        if (n <= 0) {
            return;
        }
        int grid = (int) Math.min((n + BLOCK - 1) / BLOCK, MAX_GRID);
        device.launch(kernel, grid, 1, 1, BLOCK, 1, 1, args);
    }

    private void launch2d(String kernel, long gx, long gy, Object... args) {
        launch3d(kernel, gx, gy, 1, args);
    }

    private void launch3d(String kernel, long gx, long gy, int gz, Object... args) {
        if (gx > Integer.MAX_VALUE || gy > 65535 || gz > 65535) {
            throw new ShapeException("kernel " + kernel + ": launch grid " + gx + " x " + gy + " x " + gz
                    + " exceeds the device's limits");
        }
        device.launch(kernel, (int) gx, (int) gy, gz, BLOCK, 1, 1, args);
    }

    /**
     * Slices S of a split-K weight gradient whose grid has gx x gy tiles and whose reduction runs
     * over rows: enough blocks for two per SM, at least 64 rows per slice, at most 64 slices, 1
     * where the tiles alone fill the device.
     */
    static int slices(int sms, long gx, long gy, long rows) {
        long blocks = gx * gy;
        if (blocks <= 0) {
            return 1;
        }
        long fill = (2L * sms + blocks - 1) / blocks;
        return (int) Math.max(1, Math.min(Math.min(fill, (rows + TILE - 1) / TILE), MAX_SLICES));
    }

    /**
     * A weight-gradient kernel (kernels/README.md: conv2d_bwd_filter, nrpm_*_bwd_gw) over a gx x gy
     * grid whose reduction over rows is split into S slices along gridDim.z. args are its arguments
     * before (gw, partial); grad (gradSize floats) is added into. S = 1: one launch, partial = 0.
     * S > 1: each slice overwrites its share in a scratch of S x gradSize floats, then sum_slices
     * adds them into grad in slice order, so the result does not depend on scheduling.
     */
    private void launchSplitK(String kernel, long gx, long gy, long rows, DevicePointer grad, long gradSize,
                              Object... args) {
        int s = slices(device.multiprocessors(), gx, gy, rows);
        Object[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = grad;
        if (s == 1) {
            launch3d(kernel, gx, gy, 1, all);       // partial = null
            return;
        }
        try (CudaBuffer partial = scratch(s * gradSize)) {
            all[args.length + 1] = partial.pointer();
            launch3d(kernel, gx, gy, s, all);
            launch1d("sum_slices", gradSize, partial.pointer(), s, gradSize, grad);
        }
    }

    private static long tiles(long n) {
        return (n + TILE - 1) / TILE;
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
        flushChecks();
        float[] out = new float[intLength(src.length())];
        device.copyOut(p(src), out, out.length);
        return out;
    }

    @Override
    public double[] downloadDouble(Buffer src) {
        return Precision.toDouble(download(src));
    }

    @Override
    public void copy(Buffer src, Buffer dst, long n) {
        if (n > 0) {
            device.copy(p(src), p(dst), 4 * n);
        }
    }

    @Override
    public void fill(Buffer dst, float value) {
        device.fill32(p(dst), Float.floatToRawIntBits(value), Math.max(dst.length(), 1));
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void map(UnaryOp op, Buffer x, Buffer y, long n) {
        launch1d("map_fwd", n, op.code(), p(x), p(y), n);
    }

    @Override
    public void zip(BinaryOp op, Buffer a, Buffer b, Buffer y, long n) {
        launch1d("zip_fwd", n, op.code(), p(a), p(b), p(y), n);
    }

    @Override
    public void axpby(float alpha, Buffer x, float beta, Buffer y, long n) {
        launch1d("axpby", n, alpha, p(x), beta, p(y), n);
    }

    @Override
    public void affineClamp(Buffer x, float scale, float shift, float lo, float hi, Buffer y, long n) {
        launch1d("affine_clamp", n, p(x), scale, shift, lo, hi, p(y), n);
    }

    @Override
    public long countNonFinite(Buffer x, long n) {
        flushChecks();
        if (n <= 0) {
            return 0;
        }
        DevicePointer count = device.alloc(8);
        try {
            device.fill32(count, 0, 2);
            launch1d("count_nonfinite", n, p(x), n, count, 0);
            return readCounts(count, 1)[0];
        } finally {
            device.free(count);
        }
    }

    /**
     * Deferred: the count goes into a slot on the device and is read with the next download (or
     * synchronize), so a check costs one kernel and no wait; 20 NRPM layers would otherwise make a
     * forward wait for the device 20 times. The exception, naming what, comes from that call.
     */
    @Override
    public synchronized void requireFinite(Buffer x, long n, String what) {
        if (n <= 0) {
            return;
        }
        if (checkCounts == null) {
            checkCounts = device.alloc(8L * CHECK_SLOTS);
            device.fill32(checkCounts, 0, 2L * CHECK_SLOTS);
        } else if (pendingChecks.size() == CHECK_SLOTS) {
            flushChecks();
        }
        launch1d("count_nonfinite", n, p(x), n, checkCounts, pendingChecks.size());
        pendingChecks.add(new PendingCheck(what, n));
    }

    /** Reads the pending checks' counts (one copy, just before a download that waits anyway). */
    private synchronized void flushChecks() {
        if (pendingChecks.isEmpty()) {
            return;
        }
        int pending = pendingChecks.size();
        long[] counts = readCounts(checkCounts, pending);
        device.fill32(checkCounts, 0, 2L * pending);
        List<PendingCheck> checks = new ArrayList<>(pendingChecks);
        pendingChecks.clear();
        for (int i = 0; i < pending; i++) {
            if (counts[i] > 0) {
                throw NonFiniteException.counted(checks.get(i).what(), counts[i], checks.get(i).n());
            }
        }
    }

    /** n unsigned 64-bit counts from the device. */
    private long[] readCounts(DevicePointer p, int n) {
        float[] words = new float[2 * n];
        device.copyOut(p, words, words.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = (Float.floatToRawIntBits(words[2 * i]) & 0xffffffffL)
                    | ((long) Float.floatToRawIntBits(words[2 * i + 1]) << 32);
        }
        return out;
    }

    // ------------------------------------------------------------------ per-channel

    @Override
    public void addChannels(Buffer v, float alpha, Buffer y, int outer, int channels, int inner) {
        launch1d("add_channels", (long) outer * channels * inner, p(v), alpha, p(y), outer, channels, inner);
    }

    @Override
    public void mulChannels(Buffer x, Buffer s, Buffer y, int outer, int channels, int inner) {
        launch1d("mul_channels", (long) outer * channels * inner, p(x), p(s), p(y), outer, channels, inner);
    }

    @Override
    public void sumChannels(Buffer x, Buffer out, int outer, int channels, int inner, boolean accumulate) {
        launch2d("sum_channels", channels, 1, p(x), p(out), outer, channels, inner, accumulate ? 1 : 0);
    }

    // ------------------------------------------------------------------ matrix product

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buffer a, Buffer b,
                     float beta, Buffer c) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k > 0 && device.vendorGemm(transA, transB, m, n, k, alpha, p(a), p(b), beta, p(c))) {
            return;
        }
        launch2d("gemm_fwd", tiles(n), tiles(m), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, p(a), p(b), beta, p(c));
    }

    // ------------------------------------------------------------------ convolution

    static int[] shape(ConvGeometry g) {
        return new int[] {g.batch(), g.inC(), g.inH(), g.inW(), g.outC(), g.kH(), g.kW(), g.strideH(), g.strideW(),
            g.padH(), g.padW(), g.outH(), g.outW()};
    }

    static int[] shape(PoolGeometry g) {
        return new int[] {g.planes(), g.inH(), g.inW(), g.kH(), g.kW(), g.strideH(), g.strideW(), g.padH(), g.padW(),
            g.outH(), g.outW()};
    }

    private static long rows(ConvGeometry g) {
        return (long) g.batch() * g.outH() * g.outW();
    }

    @Override
    public void conv2d(ConvGeometry g, Buffer x, Buffer w, Buffer y) {
        launch2d("conv2d_fwd", tiles(rows(g)), tiles(g.outC()), shape(g), p(x), p(w), p(y));
    }

    @Override
    public void conv2dBackward(ConvGeometry g, Buffer x, Buffer w, Buffer gy, Buffer gx, boolean accumulateGx,
                               Buffer gw) {
        if (gx != null) {
            launch1d("conv2d_bwd_data", g.inputSize(), shape(g), p(w), p(gy), p(gx), flag(accumulateGx));
        }
        if (gw != null) {
            launchSplitK("conv2d_bwd_filter", tiles(g.patchSize()), tiles(g.outC()), rows(g), p(gw), g.weightSize(),
                    shape(g), p(x), p(gy));
        }
    }

    // ------------------------------------------------------------------ pooling

    @Override
    public void maxPool2d(PoolGeometry g, Buffer x, Buffer y) {
        launch1d("max_pool_fwd", g.outputSize(), shape(g), p(x), p(y));
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Buffer x, Buffer gy, Buffer gx, boolean accumulate) {
        launch1d("max_pool_bwd", g.inputSize(), shape(g), p(x), p(gy), p(gx), flag(accumulate));
    }

    @Override
    public void avgPool2d(PoolGeometry g, Buffer x, Buffer y) {
        launch1d("avg_pool_fwd", g.outputSize(), shape(g), p(x), p(y));
    }

    @Override
    public void avgPool2dBackward(PoolGeometry g, Buffer gy, Buffer gx, boolean accumulate) {
        launch1d("avg_pool_bwd", g.inputSize(), shape(g), p(gy), p(gx), flag(accumulate));
    }

    // ------------------------------------------------------------------ batch norm

    /**
     * Slices per channel for batch norm's m = n*hw values: enough blocks for two per SM when
     * channels are few, at least MIN_SLICE_VALUES values each, at most MAX_SLICES, and never an
     * empty slice (S = ceil(m / ceil(m / S))).
     */
    static int channelSlices(int sms, int channels, long m) {
        long fill = (2L * sms + channels - 1) / channels;
        long s = Math.max(1, Math.min(Math.min(fill, m / MIN_SLICE_VALUES), MAX_SLICES));
        long len = (m + s - 1) / s;
        return (int) ((m + len - 1) / len);
    }

    @Override
    public void batchNormTrain(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                               Buffer runVar, float momentum, float eps, Buffer y, Buffer saveMean, Buffer saveInvStd,
                               boolean relu) {
        long m = (long) n * hw;
        if (m < 2) {
            throw new ShapeException("batch norm in training mode needs more than one value per channel, got " + m);
        }
        int s = channelSlices(device.multiprocessors(), c, m);
        try (CudaBuffer part = scratch(2L * c * s)) {
            launch2d("bn_stats", c, s, n, c, hw, p(x), s, part.pointer());
            launch2d("bn_train_apply", c, s, n, c, hw, p(x), p(gamma), p(beta), p(runMean), p(runVar), momentum, eps,
                    p(y), p(saveMean), p(saveInvStd), s, part.pointer(), flag(relu));
        }
    }

    @Override
    public void batchNormEval(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean,
                              Buffer runVar, float eps, Buffer y, Buffer saveInvStd, boolean relu) {
        launch1d("bn_eval_fwd", Math.max((long) n * c * hw, c), n, c, hw, p(x), p(gamma), p(beta), p(runMean),
                p(runVar), eps, p(y), p(saveInvStd), flag(relu));
    }

    @Override
    public void batchNormBackward(int n, int c, int hw, Buffer x, Buffer gamma, Buffer mean, Buffer invStd,
                                  boolean batchStats, Buffer gy, Buffer reluOut, Buffer gx, boolean accumulateGx,
                                  Buffer gGamma, Buffer gBeta) {
        long m = (long) n * hw;
        if (m == 0 || c == 0) {
            return;
        }
        int s = channelSlices(device.multiprocessors(), c, m);
        boolean sums = gGamma != null || gBeta != null || (gx != null && batchStats);
        if (!sums) {
            if (gx != null) {
                launch2d("bn_bwd_apply", c, s, n, c, hw, p(x), p(gamma), p(mean), p(invStd), 0, p(gy), p(reluOut),
                        p(gx), flag(accumulateGx), null, null, s, null);
            }
            return;
        }
        try (CudaBuffer part = scratch(2L * c * s)) {
            launch2d("bn_bwd_sums", c, s, n, c, hw, p(x), p(mean), p(gy), p(reluOut), s, part.pointer());
            launch2d("bn_bwd_apply", c, s, n, c, hw, p(x), p(gamma), p(mean), p(invStd), flag(batchStats), p(gy),
                    p(reluOut), p(gx), flag(accumulateGx), p(gGamma), p(gBeta), s, part.pointer());
        }
    }

    // ------------------------------------------------------------------ softmax and loss

    @Override
    public void logSoftmax(Buffer x, Buffer y, int rows, int cols) {
        launch2d("log_softmax_fwd", rows, 1, p(x), p(y), rows, cols);
    }

    @Override
    public void logSoftmaxBackward(Buffer y, Buffer gy, Buffer gx, int rows, int cols, boolean accumulate) {
        launch2d("log_softmax_bwd", rows, 1, p(y), p(gy), p(gx), rows, cols, flag(accumulate));
    }

    @Override
    public void nllLoss(Buffer logp, Buffer labels, Buffer out, int rows, int cols) {
        checkLabels(labels, rows, cols);
        launch1d("nll_fwd", rows, p(logp), p(labels), p(out), rows, cols);
    }

    /**
     * Labels come from the host once per batch; a kernel cannot throw, so they are checked here as
     * the other backends check them (one small copy, which waits for the device). A PGD attack
     * computes the loss of one labels buffer at every step: that buffer is checked once.
     */
    private synchronized void checkLabels(Buffer labels, int rows, int cols) {
        if (labels == checkedLabels && rows == checkedRows && cols == checkedCols) {
            return;
        }
        flushChecks();
        float[] l = new float[rows];
        device.copyOut(p(labels), l, rows);
        for (float v : l) {
            if ((int) v != v || v < 0 || v >= cols) {
                throw new ShapeException("label " + v + " is not a class index in [0, " + cols + ")");
            }
        }
        checkedLabels = labels;
        checkedRows = rows;
        checkedCols = cols;
    }

    @Override
    public void nllLossBackward(Buffer gout, Buffer labels, Buffer glogp, int rows, int cols, boolean accumulate) {
        launch1d("nll_bwd", rows, p(gout), p(labels), p(glogp), rows, cols, flag(accumulate));
    }

    /** A kernel's int flag. */
    private static int flag(boolean b) {
        return b ? 1 : 0;
    }

    // ------------------------------------------------------------------ randomness

    @Override
    public void dropout(Buffer x, Buffer y, long n, int inner, float prob, long seed, boolean accumulate) {
        launch1d("dropout", n, p(x), p(y), n, inner, prob, seed, flag(accumulate));
    }

    @Override
    public void randomUniform(Buffer y, long n, float lo, float hi, long seed) {
        launch1d("random_uniform", n, p(y), n, lo, hi, seed);
    }

    @Override
    public void randomNormal(Buffer y, long n, float mean, float std, long seed) {
        launch1d("random_normal", n, p(y), n, mean, std, seed);
    }

    // ------------------------------------------------------------------ NRPM

    static int[] params(NrpmSpec s) {
        return new int[] {s.k(), Float.floatToRawIntBits(s.eps()), s.function().code(),
            Float.floatToRawIntBits(s.gamma()), Float.floatToRawIntBits(s.delta())};
    }

    @Override
    public void nrpmDense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias,
                          Buffer lambda, Buffer y, Buffer state) {
        launch2d("nrpm_dense_fwd", tiles(out), tiles(batch), params(spec), batch, in, out, p(x), p(w), p(bias),
                p(lambda), p(y), p(state));   // z0 = x w^T is the kernel's first pass
    }

    @Override
    public void nrpmDenseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda,
                                  Buffer state, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw,
                                  Buffer gLambda) {
        if (spec.k() == 0) {   // plain LPM: y = x w^T + b, lambda has no effect
            if (gx != null) {
                gemm(false, false, batch, in, out, 1f, gy, w, accumulateGx ? 1f : 0f, gx);
            }
            if (gw != null) {
                gemm(true, false, out, in, batch, 1f, gy, x, 1f, gw);
            }
            return;
        }
        long n = (long) batch * out;
        try (Buffer gz = chain(spec, n, in, lambda, state, gy, gLambda)) {
            if (gx != null) {
                launch2d(accumulateGx ? "nrpm_dense_bwd_gx" : "nrpm_dense_bwd_gx_set", tiles(in), tiles(batch),
                        params(spec), batch, in, out, p(x), p(w), p(state), p(gz), p(gx));
            }
            if (gw != null) {
                launchSplitK("nrpm_dense_bwd_gw", tiles(in), tiles(out), batch, p(gw), (long) out * in, params(spec),
                        batch, in, out, p(x), p(w), p(state), p(gz));
            }
        }
    }

    /**
     * A scratch of K + 1 planes (released by the caller): plane 0 = gz0, the total gradient of the
     * LPM sum z0, which the engines add to every term; plane k = dL/dz(k), k = 1..K. Adds gLambda.
     */
    private Buffer chain(NrpmSpec spec, long n, int dTerms, Buffer lambda, Buffer state, Buffer gy, Buffer gLambda) {
        CudaBuffer gz = scratch((spec.k() + 1) * n);
        launch1d("nrpm_chain", n, params(spec), n, dTerms, p(lambda), p(state), p(gy), gz.pointer(), p(gLambda));
        return gz;
    }

    @Override
    public void nrpmConv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias, Buffer lambda,
                           Buffer y, Buffer state) {
        launch2d("nrpm_conv_fwd", tiles(rows(g)), tiles(g.outC()), params(spec), shape(g), p(x), p(w), p(bias),
                p(lambda), p(y), p(state));   // z0 = conv2d(x, w) is the kernel's first pass
    }

    @Override
    public void nrpmConv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda, Buffer state,
                                   Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda) {
        if (spec.k() == 0) {   // plain LPM: y = conv2d(x, w) + b, lambda has no effect
            conv2dBackward(g, x, w, gy, gx, accumulateGx, gw);
            return;
        }
        try (Buffer gz = chain(spec, g.outputSize(), g.patchSize(), lambda, state, gy, gLambda)) {
            if (gx != null) {
                convGx(spec, g, x, w, state, gz, gx, accumulateGx);
            }
            if (gw != null) {
                launchSplitK("nrpm_conv_bwd_gw", tiles(g.patchSize()), tiles(g.outC()), rows(g), p(gw),
                        g.weightSize(), params(spec), shape(g), p(x), p(w), p(state), p(gz));
            }
        }
    }

    /** Floats of the column-gradient scratch of nrpm_conv_bwd_gcol, at most (kernels/README.md). */
    static final long GCOL_MAX_FLOATS = 32L << 20;

    /**
     * Samples per batch chunk of the conv gx: the most whose gcol (nb x P x D floats) fits
     * maxFloats and whose grid (ceil(nb P / 64) rows of tiles) fits gridDim.y; at least 1.
     */
    static int gcolChunk(ConvGeometry g, long maxFloats) {
        long p = (long) g.outH() * g.outW();
        long perSample = Math.max(1L, p * g.patchSize());
        long byMemory = maxFloats / perSample;
        long byGrid = 65535L * TILE / Math.max(1L, p);
        return (int) Math.max(1L, Math.min(g.batch(), Math.min(byMemory, byGrid)));
    }

    /**
     * gx of an NRPM conv: per batch chunk [b0, b0 + nb), nrpm_conv_bwd_gcol overwrites the column
     * gradient gcol (nb P, D) with the tiled backward engine, then col2im_add gathers it into gx
     * (adds, or writes the chunk's samples when not accumulating).
     */
    private void convGx(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer state, Buffer gz, Buffer gx,
                        boolean accumulate) {
        int nb = gcolChunk(g, gcolMaxFloats);
        long p = (long) g.outH() * g.outW();
        int d = g.patchSize();
        try (CudaBuffer gcol = scratch(Math.max(nb * p * d, 1))) {
            for (int b0 = 0; b0 < g.batch(); b0 += nb) {
                int n = Math.min(nb, g.batch() - b0);
                launch2d("nrpm_conv_bwd_gcol", tiles(d), tiles(n * p), params(spec), shape(g), b0, n, p(x), p(w),
                        p(state), p(gz), gcol.pointer());
                launch1d("col2im_add", (long) n * g.inC() * g.inH() * g.inW(), shape(g), b0, n, gcol.pointer(),
                        p(gx), flag(accumulate));
            }
        }
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void sgdStep(Buffer param, Buffer grad, Buffer velocity, long n, float lr, float momentum,
                        float weightDecay, boolean nesterov) {
        launch1d("sgd_step", n, p(param), p(grad), p(velocity), n, lr, momentum, weightDecay, nesterov ? 1 : 0);
    }

    /** One sgd_multi launch for all the tensors, over their AddressTable. */
    @Override
    public synchronized void sgdSteps(Buffer[] params, Buffer[] grads, Buffer[] velocities, long[] lengths, float lr,
                                      float momentum, float weightDecay, boolean nesterov) {
        long max = Arrays.stream(lengths).max().orElse(0);
        if (params.length > 65535 || max == 0) {     // gridDim.y; or nothing to do
            Backend.super.sgdSteps(params, grads, velocities, lengths, lr, momentum, weightDecay, nesterov);
            return;
        }
        DevicePointer table = sgdTable.of(new Buffer[][] {params, grads, velocities}, lengths, this::p, this::setEntry);
        launch3d("sgd_multi", Math.min((max + BLOCK - 1) / BLOCK, MAX_GRID), params.length, 1, table, lr, momentum,
                weightDecay, nesterov ? 1 : 0);
    }

    /** One zero_multi launch for all the buffers (an optimizer's gradients), over their AddressTable. */
    @Override
    public synchronized void zeroBuffers(Buffer[] buffers) {
        long[] lengths = Arrays.stream(buffers).mapToLong(Buffer::length).toArray();
        long max = Arrays.stream(lengths).max().orElse(0);
        if (buffers.length > 65535 || max == 0) {
            Backend.super.zeroBuffers(buffers);
            return;
        }
        DevicePointer table = zeroTable.of(new Buffer[][] {buffers}, lengths, this::p, this::setEntry);
        launch3d("zero_multi", Math.min((max + BLOCK - 1) / BLOCK, MAX_GRID), buffers.length, 1, table);
    }

    private void setEntry(DevicePointer table, int t, DevicePointer a, DevicePointer b, DevicePointer c, long n) {
        launch3d("address_table_set", 1, 1, 1, table, t, a, b, c, n);
    }
}

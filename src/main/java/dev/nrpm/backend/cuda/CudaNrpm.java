package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.TILE;
import static dev.nrpm.backend.cuda.Launcher.flag;
import static dev.nrpm.backend.cuda.Launcher.rows;
import static dev.nrpm.backend.cuda.Launcher.shape;
import static dev.nrpm.backend.cuda.Launcher.tiles;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.error.NrpmException;
import dev.nrpm.matching.NrpmSpec;

/**
 * Dense and convolutional NRPM, forward and backward (kernels/nrpm_dense.cu, kernels/nrpm_conv.cu,
 * both on the fused engines of nrpm_fused.cuh), with their launch policy: split-K weight gradients
 * and the conv input gradient in batch chunks that bound its scratch.
 */
final class CudaNrpm {
    /** Floats of the column-gradient scratch of nrpm_conv_bwd_gcol, at most (kernels/README.md). */
    static final long GCOL_MAX_FLOATS = 32L << 20;

    private final Launcher l;
    private final CudaGemm gemm;
    private final CudaConv conv;
    /** Most floats of the conv gx's column-gradient scratch; larger batches go in chunks. */
    private final long gcolMaxFloats;

    /**
     * -Dnrpm.cuda.gcolMaxFloats (default 32M) caps the conv gx's scratch: less memory, more
     * batch chunks. Surefire's fake-driver run sets it small, so that path runs on small layers.
     * K = 0 (plain LPM) goes through gemm and conv.
     */
    CudaNrpm(Launcher launcher, CudaGemm gemm, CudaConv conv) {
        this.l = launcher;
        this.gemm = gemm;
        this.conv = conv;
        this.gcolMaxFloats = Long.getLong("nrpm.cuda.gcolMaxFloats", GCOL_MAX_FLOATS);
        if (gcolMaxFloats < 1) {
            throw new NrpmException("-Dnrpm.cuda.gcolMaxFloats must be positive, got " + gcolMaxFloats);
        }
    }

    /** The NrpmParams struct of common.cuh. */
    static int[] params(NrpmSpec s) {
        return new int[] {s.k(), Float.floatToRawIntBits(s.eps()), s.function().code(),
            Float.floatToRawIntBits(s.gamma()), Float.floatToRawIntBits(s.delta())};
    }

    void dense(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer bias, Buffer lambda, Buffer y,
               Buffer state) {
        l.launch2d("nrpm_dense_fwd", tiles(out), tiles(batch), params(spec), batch, in, out, l.p(x), l.p(w),
                l.p(bias), l.p(lambda), l.p(y), l.p(state));   // z0 = x w^T is the kernel's first pass
    }

    void denseBackward(NrpmSpec spec, int batch, int in, int out, Buffer x, Buffer w, Buffer lambda, Buffer state,
                       Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda) {
        if (spec.k() == 0) {   // plain LPM: y = x w^T + b, lambda has no effect
            if (gx != null) {
                gemm.gemm(false, false, batch, in, out, 1f, gy, w, accumulateGx ? 1f : 0f, gx);
            }
            if (gw != null) {
                gemm.gemm(true, false, out, in, batch, 1f, gy, x, 1f, gw);
            }
            return;
        }
        long n = (long) batch * out;
        try (Buffer gz = chain(spec, n, in, lambda, state, gy, gLambda)) {
            if (gx != null) {
                l.launch2d(accumulateGx ? "nrpm_dense_bwd_gx" : "nrpm_dense_bwd_gx_set", tiles(in), tiles(batch),
                        params(spec), batch, in, out, l.p(x), l.p(w), l.p(state), l.p(gz), l.p(gx));
            }
            if (gw != null) {
                l.launchSplitK("nrpm_dense_bwd_gw", tiles(in), tiles(out), batch, l.p(gw), (long) out * in,
                        params(spec), batch, in, out, l.p(x), l.p(w), l.p(state), l.p(gz));
            }
        }
    }

    /**
     * A scratch of K + 1 planes (released by the caller): plane 0 = gz0, the total gradient of the
     * LPM sum z0, which the engines add to every term; plane k = dL/dz(k), k = 1..K. Adds gLambda.
     */
    private Buffer chain(NrpmSpec spec, long n, int dTerms, Buffer lambda, Buffer state, Buffer gy, Buffer gLambda) {
        CudaBuffer gz = l.scratch((spec.k() + 1) * n);
        l.launch1d("nrpm_chain", n, params(spec), n, dTerms, l.p(lambda), l.p(state), l.p(gy), gz.pointer(),
                l.p(gLambda));
        return gz;
    }

    void conv2d(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer bias, Buffer lambda, Buffer y,
                Buffer state) {
        l.launch2d("nrpm_conv_fwd", tiles(rows(g)), tiles(g.outC()), params(spec), shape(g), l.p(x), l.p(w),
                l.p(bias), l.p(lambda), l.p(y), l.p(state));   // z0 = conv2d(x, w) is the kernel's first pass
    }

    void conv2dBackward(NrpmSpec spec, ConvGeometry g, Buffer x, Buffer w, Buffer lambda, Buffer state, Buffer gy,
                        Buffer gx, boolean accumulateGx, Buffer gw, Buffer gLambda) {
        if (spec.k() == 0) {   // plain LPM: y = conv2d(x, w) + b, lambda has no effect
            conv.conv2dBackward(g, x, w, gy, gx, accumulateGx, gw);
            return;
        }
        try (Buffer gz = chain(spec, g.outputSize(), g.patchSize(), lambda, state, gy, gLambda)) {
            if (gx != null) {
                convGx(spec, g, x, w, state, gz, gx, accumulateGx);
            }
            if (gw != null) {
                l.launchSplitK("nrpm_conv_bwd_gw", tiles(g.patchSize()), tiles(g.outC()), rows(g), l.p(gw),
                        g.weightSize(), params(spec), shape(g), l.p(x), l.p(w), l.p(state), l.p(gz));
            }
        }
    }

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
        try (CudaBuffer gcol = l.scratch(Math.max(nb * p * d, 1))) {
            for (int b0 = 0; b0 < g.batch(); b0 += nb) {
                int n = Math.min(nb, g.batch() - b0);
                l.launch2d("nrpm_conv_bwd_gcol", tiles(d), tiles(n * p), params(spec), shape(g), b0, n, l.p(x),
                        l.p(w), l.p(state), l.p(gz), gcol.pointer());
                l.launch1d("col2im_add", (long) n * g.inC() * g.inH() * g.inW(), shape(g), b0, n, gcol.pointer(),
                        l.p(gx), flag(accumulate));
            }
        }
    }
}

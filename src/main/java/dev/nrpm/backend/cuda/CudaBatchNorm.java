package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.MAX_SLICES;
import static dev.nrpm.backend.cuda.Launcher.flag;

import dev.nrpm.backend.Buffer;
import dev.nrpm.error.ShapeException;

/**
 * Batch norm (kernels/batchnorm.cu): each channel's n*hw values are split into slices so that
 * few channels still fill the device; per-slice partial sums are combined in slice order.
 */
final class CudaBatchNorm {
    /** Fewest values a slice is given. */
    private static final int MIN_SLICE_VALUES = 32;

    private final Launcher l;

    CudaBatchNorm(Launcher launcher) {
        this.l = launcher;
    }

    /**
     * Slices per channel for m = n*hw values: enough blocks for two per SM when channels are few,
     * at least MIN_SLICE_VALUES values each, at most MAX_SLICES, and never an empty slice
     * (S = ceil(m / ceil(m / S))).
     */
    static int channelSlices(int sms, int channels, long m) {
        long fill = (2L * sms + channels - 1) / channels;
        long s = Math.max(1, Math.min(Math.min(fill, m / MIN_SLICE_VALUES), MAX_SLICES));
        long len = (m + s - 1) / s;
        return (int) ((m + len - 1) / len);
    }

    void train(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean, Buffer runVar,
               float momentum, float eps, Buffer y, Buffer saveMean, Buffer saveInvStd, boolean relu) {
        long m = (long) n * hw;
        if (m < 2) {
            throw new ShapeException("batch norm in training mode needs more than one value per channel, got " + m);
        }
        int s = channelSlices(l.device.multiprocessors(), c, m);
        try (CudaBuffer part = l.scratch(2L * c * s)) {
            l.launch2d("bn_stats", c, s, n, c, hw, l.p(x), s, part.pointer());
            l.launch2d("bn_train_apply", c, s, n, c, hw, l.p(x), l.p(gamma), l.p(beta), l.p(runMean), l.p(runVar),
                    momentum, eps, l.p(y), l.p(saveMean), l.p(saveInvStd), s, part.pointer(), flag(relu));
        }
    }

    void eval(int n, int c, int hw, Buffer x, Buffer gamma, Buffer beta, Buffer runMean, Buffer runVar, float eps,
              Buffer y, Buffer saveInvStd, boolean relu) {
        l.launch1d("bn_eval_fwd", Math.max((long) n * c * hw, c), n, c, hw, l.p(x), l.p(gamma), l.p(beta),
                l.p(runMean), l.p(runVar), eps, l.p(y), l.p(saveInvStd), flag(relu));
    }

    void backward(int n, int c, int hw, Buffer x, Buffer gamma, Buffer mean, Buffer invStd, boolean batchStats,
                  Buffer gy, Buffer reluOut, Buffer gx, boolean accumulateGx, Buffer gGamma, Buffer gBeta) {
        long m = (long) n * hw;
        if (m == 0 || c == 0) {
            return;
        }
        int s = channelSlices(l.device.multiprocessors(), c, m);
        boolean sums = gGamma != null || gBeta != null || (gx != null && batchStats);
        if (!sums) {
            if (gx != null) {
                l.launch2d("bn_bwd_apply", c, s, n, c, hw, l.p(x), l.p(gamma), l.p(mean), l.p(invStd), 0, l.p(gy),
                        l.p(reluOut), l.p(gx), flag(accumulateGx), null, null, s, null);
            }
            return;
        }
        try (CudaBuffer part = l.scratch(2L * c * s)) {
            l.launch2d("bn_bwd_sums", c, s, n, c, hw, l.p(x), l.p(mean), l.p(gy), l.p(reluOut), s, part.pointer());
            l.launch2d("bn_bwd_apply", c, s, n, c, hw, l.p(x), l.p(gamma), l.p(mean), l.p(invStd), flag(batchStats),
                    l.p(gy), l.p(reluOut), l.p(gx), flag(accumulateGx), l.p(gGamma), l.p(gBeta), s, part.pointer());
        }
    }
}

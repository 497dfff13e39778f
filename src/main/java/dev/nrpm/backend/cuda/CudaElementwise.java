package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.BLOCK;
import static dev.nrpm.backend.cuda.Launcher.MAX_GRID;
import static dev.nrpm.backend.cuda.Launcher.flag;

import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;
import java.util.Arrays;

/**
 * The memory-bound primitives of kernels/elementwise.cu: maps, axpby, per-channel ops,
 * counter-based randomness and the optimizer's steps (one launch for a whole model's tensors,
 * over an AddressTable).
 */
final class CudaElementwise {
    private final Launcher l;
    /** Device tables of the optimizer's buffers for sgd_multi and zero_multi. */
    private final AddressTable sgdTable;
    private final AddressTable zeroTable;

    CudaElementwise(Launcher launcher) {
        this.l = launcher;
        this.sgdTable = new AddressTable(launcher.device);
        this.zeroTable = new AddressTable(launcher.device);
    }

    void map(UnaryOp op, Buffer x, Buffer y, long n) {
        l.launch1d("map_unary", n, op.code(), l.p(x), l.p(y), n);
    }

    void zip(BinaryOp op, Buffer a, Buffer b, Buffer y, long n) {
        l.launch1d("zip_binary", n, op.code(), l.p(a), l.p(b), l.p(y), n);
    }

    void axpby(float alpha, Buffer x, float beta, Buffer y, long n) {
        l.launch1d("axpby", n, alpha, l.p(x), beta, l.p(y), n);
    }

    void affineClamp(Buffer x, float scale, float shift, float lo, float hi, Buffer y, long n) {
        l.launch1d("affine_clamp", n, l.p(x), scale, shift, lo, hi, l.p(y), n);
    }

    void addChannels(Buffer v, float alpha, Buffer y, int outer, int channels, int inner) {
        l.launch1d("add_channels", (long) outer * channels * inner, l.p(v), alpha, l.p(y), outer, channels, inner);
    }

    void mulChannels(Buffer x, Buffer s, Buffer y, int outer, int channels, int inner) {
        l.launch1d("mul_channels", (long) outer * channels * inner, l.p(x), l.p(s), l.p(y), outer, channels, inner);
    }

    void sumChannels(Buffer x, Buffer out, int outer, int channels, int inner, boolean accumulate) {
        l.launch2d("sum_channels", channels, 1, l.p(x), l.p(out), outer, channels, inner, flag(accumulate));
    }

    void dropout(Buffer x, Buffer y, long n, int inner, float prob, long seed, boolean accumulate) {
        l.launch1d("dropout", n, l.p(x), l.p(y), n, inner, prob, seed, flag(accumulate));
    }

    void randomUniform(Buffer y, long n, float lo, float hi, long seed) {
        l.launch1d("random_uniform", n, l.p(y), n, lo, hi, seed);
    }

    void randomNormal(Buffer y, long n, float mean, float std, long seed) {
        l.launch1d("random_normal", n, l.p(y), n, mean, std, seed);
    }

    void sgdStep(Buffer param, Buffer grad, Buffer velocity, long n, float lr, float momentum, float weightDecay,
                 boolean nesterov) {
        l.launch1d("sgd_step", n, l.p(param), l.p(grad), l.p(velocity), n, lr, momentum, weightDecay,
                flag(nesterov));
    }

    /**
     * One sgd_multi launch for all the tensors, over their AddressTable; false (nothing launched)
     * where they do not fit one grid or are all empty, for the caller's per-tensor fallback.
     */
    synchronized boolean sgdSteps(Buffer[] params, Buffer[] grads, Buffer[] velocities, long[] lengths, float lr,
                                  float momentum, float weightDecay, boolean nesterov) {
        long max = Arrays.stream(lengths).max().orElse(0);
        if (params.length > 65535 || max == 0) {     // gridDim.y; or nothing to do
            return false;
        }
        DevicePointer table = sgdTable.of(new Buffer[][] {params, grads, velocities}, lengths, l::p, this::setEntry);
        l.launch3d("sgd_multi", Math.min((max + BLOCK - 1) / BLOCK, MAX_GRID), params.length, 1, table, lr, momentum,
                weightDecay, flag(nesterov));
        return true;
    }

    /** One zero_multi launch for all the buffers (an optimizer's gradients); false as for sgdSteps. */
    synchronized boolean zeroBuffers(Buffer[] buffers) {
        long[] lengths = Arrays.stream(buffers).mapToLong(Buffer::length).toArray();
        long max = Arrays.stream(lengths).max().orElse(0);
        if (buffers.length > 65535 || max == 0) {
            return false;
        }
        DevicePointer table = zeroTable.of(new Buffer[][] {buffers}, lengths, l::p, this::setEntry);
        l.launch3d("zero_multi", Math.min((max + BLOCK - 1) / BLOCK, MAX_GRID), buffers.length, 1, table);
        return true;
    }

    private void setEntry(DevicePointer table, int t, DevicePointer a, DevicePointer b, DevicePointer c, long n) {
        l.launch3d("address_table_set", 1, 1, 1, table, t, a, b, c, n);
    }
}

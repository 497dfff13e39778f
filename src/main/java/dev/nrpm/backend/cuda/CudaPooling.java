package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.flag;
import static dev.nrpm.backend.cuda.Launcher.shape;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.PoolGeometry;

/** Max and average pooling, forward and backward (kernels/pool.cu). */
final class CudaPooling {
    private final Launcher l;

    CudaPooling(Launcher launcher) {
        this.l = launcher;
    }

    void maxPool2d(PoolGeometry g, Buffer x, Buffer y) {
        l.launch1d("max_pool_fwd", g.outputSize(), shape(g), l.p(x), l.p(y));
    }

    void maxPool2dBackward(PoolGeometry g, Buffer x, Buffer gy, Buffer gx, boolean accumulate) {
        l.launch1d("max_pool_bwd", g.inputSize(), shape(g), l.p(x), l.p(gy), l.p(gx), flag(accumulate));
    }

    void avgPool2d(PoolGeometry g, Buffer x, Buffer y) {
        l.launch1d("avg_pool_fwd", g.outputSize(), shape(g), l.p(x), l.p(y));
    }

    void avgPool2dBackward(PoolGeometry g, Buffer gy, Buffer gx, boolean accumulate) {
        l.launch1d("avg_pool_bwd", g.inputSize(), shape(g), l.p(gy), l.p(gx), flag(accumulate));
    }
}

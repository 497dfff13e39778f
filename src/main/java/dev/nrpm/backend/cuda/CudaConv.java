package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.flag;
import static dev.nrpm.backend.cuda.Launcher.rows;
import static dev.nrpm.backend.cuda.Launcher.shape;
import static dev.nrpm.backend.cuda.Launcher.tiles;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;

/** The LPM convolution and its gradients (kernels/conv2d.cu); the weight gradient is split-K. */
final class CudaConv {
    private final Launcher l;

    CudaConv(Launcher launcher) {
        this.l = launcher;
    }

    void conv2d(ConvGeometry g, Buffer x, Buffer w, Buffer y) {
        l.launch2d("conv2d_fwd", tiles(rows(g)), tiles(g.outC()), shape(g), l.p(x), l.p(w), l.p(y));
    }

    void conv2dBackward(ConvGeometry g, Buffer x, Buffer w, Buffer gy, Buffer gx, boolean accumulateGx, Buffer gw) {
        if (gx != null) {
            l.launch1d("conv2d_bwd_data", g.inputSize(), shape(g), l.p(w), l.p(gy), l.p(gx), flag(accumulateGx));
        }
        if (gw != null) {
            l.launchSplitK("conv2d_bwd_filter", tiles(g.patchSize()), tiles(g.outC()), rows(g), l.p(gw),
                    g.weightSize(), shape(g), l.p(x), l.p(gy));
        }
    }
}

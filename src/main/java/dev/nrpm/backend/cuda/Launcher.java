package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.PoolGeometry;
import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;
import java.util.Arrays;

/**
 * What every op family of the CUDA backend launches with: the device, buffer-to-pointer checks,
 * per-call scratch, the launch shapes of kernels/README.md (grid-stride 1-D, tiled 2-D, split-K)
 * and the kernels' argument structs (ConvShape, PoolShape).
 */
final class Launcher {
    static final int BLOCK = 256;
    static final int MAX_GRID = 4096;
    static final int TILE = 64;
    /** Most slices a weight gradient's reduction is split into (gridDim.z of the split-K launch). */
    static final int MAX_SLICES = 64;

    final Device device;
    private final String backendName;

    Launcher(Device device, String backendName) {
        this.device = device;
        this.backendName = backendName;
    }

    DevicePointer p(Buffer b) {
        if (b == null) {
            return null;
        }
        if (!(b instanceof CudaBuffer) || ((CudaBuffer) b).device() != device) {
            throw new NrpmException("buffer from another backend passed to the " + backendName + " backend");
        }
        return ((CudaBuffer) b).pointer();
    }

    /**
     * A work buffer of this call, owned by its caller's try-with-resources rather than by the open
     * MemoryScope, so it goes back to the device as soon as the call is done with it.
     */
    CudaBuffer scratch(long floats) {
        CudaBuffer b = new CudaBuffer(device, floats);
        b.moveTo(null);
        return b;
    }

    /** 1-D launch over n elements: grid-stride kernels. */
    void launch1d(String kernel, long n, Object... args) {
        if (n <= 0) {
            return;
        }
        int grid = (int) Math.min((n + BLOCK - 1) / BLOCK, MAX_GRID);
        device.launch(kernel, grid, 1, 1, BLOCK, 1, 1, args);
    }

    void launch2d(String kernel, long gx, long gy, Object... args) {
        launch3d(kernel, gx, gy, 1, args);
    }

    void launch3d(String kernel, long gx, long gy, int gz, Object... args) {
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
    void launchSplitK(String kernel, long gx, long gy, long rows, DevicePointer grad, long gradSize, Object... args) {
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

    /** Tiles of TILE along n. */
    static long tiles(long n) {
        return (n + TILE - 1) / TILE;
    }

    /** A kernel's int flag. */
    static int flag(boolean b) {
        return b ? 1 : 0;
    }

    /** The ConvShape struct of common.cuh. */
    static int[] shape(ConvGeometry g) {
        return new int[] {g.batch(), g.inC(), g.inH(), g.inW(), g.outC(), g.kH(), g.kW(), g.strideH(), g.strideW(),
            g.padH(), g.padW(), g.outH(), g.outW()};
    }

    /** The PoolShape struct of common.cuh. */
    static int[] shape(PoolGeometry g) {
        return new int[] {g.planes(), g.inH(), g.inW(), g.kH(), g.kW(), g.strideH(), g.strideW(), g.padH(), g.padW(),
            g.outH(), g.outW()};
    }

    /** Output pixels of the whole batch: the rows of a convolution's implicit GEMM. */
    static long rows(ConvGeometry g) {
        return (long) g.batch() * g.outH() * g.outW();
    }
}

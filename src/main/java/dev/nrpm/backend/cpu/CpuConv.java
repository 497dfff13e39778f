package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LPM convolution as im2col + one large SGEMM per chunk of images: Java loops lay the patches out
 * as columns (D, images * pixels) directly in reusable off-heap buffers, OpenBLAS multiplies. For
 * LeNet-sized layers this is 10 to 30 times faster than the conv2d / conv2d_bp ops of libnd4j's
 * plain build (measured: 7 ms and 21 ms per call at batch 50), and memory stays bounded by the
 * chunk size. CpuBackend sends convolutions to oneDNN ({@link DnnlConv}) instead; this is the path
 * where oneDNN does not load, kept for tests and side-by-side benchmarks. Layers with few
 * channels go to {@link FewChannelConv} instead: the forward with at most 16 outputs, the input
 * gradient of a "same" convolution with at most 16 inputs.
 */
final class CpuConv {
    /** Columns per chunk are capped at about 64 MB. */
    private static final long CHUNK_ELEMENTS = 1L << 24;
    private static final ThreadLocal<INDArray[]> SCRATCH = ThreadLocal.withInitial(() -> new INDArray[4]);

    private CpuConv() {
    }

    /** A (rows, cols) float matrix over reusable off-heap memory (slot: which scratch buffer). */
    private static INDArray scratch(int slot, long rows, long cols) {
        INDArray[] s = SCRATCH.get();
        long n = rows * cols;
        if (s[slot] == null || s[slot].length() < n) {
            s[slot] = Nd4j.createUninitialized(DataType.FLOAT, Math.max(n, 1024));
        }
        DataBuffer data = s[slot].data();
        return Nd4j.create(data, new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
    }

    private static int chunkImages(ConvGeometry g) {
        long perImage = (long) g.patchSize() * g.outH() * g.outW();
        return (int) Math.max(1, Math.min(g.batch(), CHUNK_ELEMENTS / Math.max(1, perImage)));
    }

    /** cols (D, nb * P) for images [b0, b0 + nb): row d = (c, i, j), column = (image, pixel). */
    private static void im2col(ConvGeometry g, float[] x, int b0, int nb, FloatBuffer cols) {
        int p = g.outH() * g.outW();
        int n = nb * p;
        CpuParallel.forRange(g.patchSize(), 4, (chunk, from, to) -> {
            float[] row = new float[p];    // one image's part of a row: stays in L1
            for (int d = from; d < to; d++) {
                for (int bi = 0; bi < nb; bi++) {
                    Im2col.row(g, x, b0 + bi, d, row);
                    cols.put(d * n + bi * p, row, 0, p);
                }
            }
        });
    }

    /** gx[images b0..] += fold(gcols): each column entry goes back to the input cell it came from. */
    private static void col2im(ConvGeometry g, FloatBuffer gcols, int b0, int nb, float[] gx) {
        int p = g.outH() * g.outW();
        int n = nb * p;
        int khw = g.kH() * g.kW();
        int sw = g.strideW();
        boolean flatPlanes = Im2col.flat(g);
        Im2col.FlatTap[] taps = flatPlanes ? Im2col.flatTaps(g) : null;
        int hw = g.inH() * g.inW();
        // parallel over (image, channel) planes: every write of one task lands in its own plane
        CpuParallel.forRange(nb * g.inC(), 1, (chunk, from, to) -> {
            float[] row = new float[Math.max(p, hw)];
            float[] acc = flatPlanes ? new float[hw] : null;
            for (int bc = from; bc < to; bc++) {
                int bi = bc / g.inC();
                int c = bc % g.inC();
                int plane = ((b0 + bi) * g.inC() + c) * g.inH();
                if (flatPlanes) {
                    col2imFlat(g, taps, gcols, c * khw * n + bi * p, n, row, acc, gx, plane * g.inW());
                    continue;
                }
                for (int k = 0; k < khw; k++) {
                    int i = k / g.kW();
                    int j = k % g.kW();
                    int lo = Im2col.firstInside(g, j);
                    int hi = Im2col.endInside(g, j);
                    gcols.get((c * khw + k) * n + bi * p, row, 0, p);
                    for (int py = 0; py < g.outH(); py++) {
                        int iy = py * g.strideH() - g.padH() + i;
                        if (iy < 0 || iy >= g.inH()) {
                            continue;
                        }
                        int ix0 = (plane + iy) * g.inW() - g.padW() + j;
                        int r0 = py * g.outW();
                        for (int px = lo; px < hi; px++) {
                            gx[ix0 + px * sw] += row[r0 + px];
                        }
                    }
                }
            }
        });
    }

    /**
     * One (image, channel) plane of col2im for a {@link Im2col#flat} geometry. Every tap's gcols row is
     * fetched straight to the plane cells it lands on (staged[pixel + off]), so the sums index the
     * staged row and the plane accumulator alike: C2 vectorizes loops whose arrays share one index
     * and leaves loops with two different offsets scalar (7x slower, JDK 17). The taps are added in
     * the same order as the per-row path, so the sums are bit for bit the same.
     */
    private static void col2imFlat(ConvGeometry g, Im2col.FlatTap[] taps, FloatBuffer gcols, int first, int n,
                                   float[] staged, float[] acc, float[] gx, int plane) {
        int hw = acc.length;
        System.arraycopy(gx, plane, acc, 0, hw);
        for (int k = 0; k < taps.length; k++) {
            Im2col.FlatTap tap = taps[k];
            if (tap.hi() <= tap.lo()) {
                continue;
            }
            int from = tap.lo() + tap.off();
            int to = tap.hi() + tap.off();
            gcols.get(first + k * n + tap.lo(), staged, from, to - from);
            tap.zeroGaps(staged, g.outW(), tap.off());   // wrapped cells get + 0
            addSameIndex(acc, staged, from, to);
        }
        System.arraycopy(acc, 0, gx, plane, hw);
    }

    /** dst[q] += src[q] for q in [from, to): one index for both arrays, so C2 vectorizes it. */
    private static void addSameIndex(float[] dst, float[] src, int from, int to) {
        for (int q = from; q < to; q++) {
            dst[q] += src[q];
        }
    }

    static void forward(ConvGeometry g, float[] x, float[] w, float[] y) {
        if (FewChannelConv.suits(g)) {
            FewChannelConv.forward(g, x, w, y);
            return;
        }
        int d = g.patchSize();
        int p = g.outH() * g.outW();
        int o = g.outC();
        INDArray wm = scratch(0, o, d);
        wm.data().asNioFloat().put(0, w, 0, o * d);
        int chunk = chunkImages(g);
        for (int b0 = 0; b0 < g.batch(); b0 += chunk) {
            int nb = Math.min(chunk, g.batch() - b0);
            int n = nb * p;
            INDArray cols = scratch(1, d, n);
            im2col(g, x, b0, nb, cols.data().asNioFloat());
            INDArray out = scratch(2, o, n);
            Nd4j.gemm(wm, cols, out, false, false, 1.0, 0.0);
            FloatBuffer ob = out.data().asNioFloat();
            for (int oc = 0; oc < o; oc++) {
                for (int bi = 0; bi < nb; bi++) {
                    ob.get(oc * n + bi * p, y, ((b0 + bi) * o + oc) * p, p);
                }
            }
        }
    }

    /** gx += dL/dx, gw += dL/dw for gy (B, O, Ho, Wo); either output may be null. */
    static void backward(ConvGeometry g, float[] x, float[] w, float[] gy, float[] gx, float[] gw) {
        if (gx != null && FewChannelConv.suitsInputGrad(g)) {
            FewChannelConv.inputGrad(g, w, gy, gx);
            if (gw == null) {
                return;
            }
            gx = null;
        }
        int d = g.patchSize();
        int p = g.outH() * g.outW();
        int o = g.outC();
        INDArray wm = scratch(0, o, d);
        wm.data().asNioFloat().put(0, w, 0, o * d);
        INDArray gwm = null;
        int chunk = chunkImages(g);
        for (int b0 = 0; b0 < g.batch(); b0 += chunk) {
            int nb = Math.min(chunk, g.batch() - b0);
            int n = nb * p;
            INDArray gym = scratch(2, o, n);                     // gy as (O, images * pixels)
            FloatBuffer gb = gym.data().asNioFloat();
            for (int oc = 0; oc < o; oc++) {
                for (int bi = 0; bi < nb; bi++) {
                    gb.put(oc * n + bi * p, gy, ((b0 + bi) * o + oc) * p, p);
                }
            }
            if (gw != null) {
                INDArray cols = scratch(1, d, n);
                im2col(g, x, b0, nb, cols.data().asNioFloat());
                if (gwm == null) {
                    gwm = Nd4j.createUninitialized(DataType.FLOAT, new long[] {o, d}, 'c');
                    Nd4j.gemm(gym, cols, gwm, false, true, 1.0, 0.0);
                } else {
                    Nd4j.gemm(gym, cols, gwm, false, true, 1.0, 1.0);
                }
            }
            if (gx != null) {
                INDArray gcols = scratch(3, d, n);
                Nd4j.gemm(wm, gym, gcols, true, false, 1.0, 0.0);
                col2im(g, gcols.data().asNioFloat(), b0, nb, gx);
            }
        }
        if (gwm != null) {
            FloatBuffer fb = gwm.data().asNioFloat();
            for (int i = 0; i < o * d; i++) {
                gw[i] += fb.get(i);
            }
        }
    }
}

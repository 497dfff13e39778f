package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import java.util.Arrays;

/**
 * Patch rows of one image: row d = (c, i, j) holds, for each output pixel, the input value that
 * kernel tap (i, j) of channel c reads there (0 in the padding). Every LPM and NRPM conv path on
 * the CPU builds its terms from these rows.
 *
 * <p>Rows are built with bulk copies, not per-pixel conditionals: with stride 1 the inside part of
 * each output row is one arraycopy, and for a "same" convolution (stride 1, outW == inW) output
 * pixel q of tap (i, j) reads plane cell q + (i - padH) inW + (j - padW), so a whole plane moves
 * as one flat range and only the cells where that range wraps through the padding are zeroed.
 * Per-row loops were the slow part: rows of 8..32 pixels are shorter than C2's unrolled vector
 * loop.
 */
final class Im2col {
    private Im2col() {
    }

    /** The first output column px whose kernel column j reads inside the image (ix = px sW - pW + j >= 0). */
    static int firstInside(ConvGeometry g, int j) {
        int need = g.padW() - j;            // px sW >= need
        return need <= 0 ? 0 : Math.min(g.outW(), (need + g.strideW() - 1) / g.strideW());
    }

    /** One past the last output column px whose kernel column j reads inside the image (ix < inW). */
    static int endInside(ConvGeometry g, int j) {
        int limit = g.inW() + g.padW() - j;  // px sW < limit
        return limit <= 0 ? 0 : Math.min(g.outW(), (limit + g.strideW() - 1) / g.strideW());
    }

    /** Whether output pixels map to input cells by one shift per tap (see the class comment). */
    static boolean flat(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() == g.inW();
    }

    /**
     * The flat range of kernel tap (i, j) in a {@link #flat} geometry: output pixels [lo, hi) read
     * plane cell pixel + off, except in the wrap gaps between valid rows; empty (lo == hi) when the
     * tap reads only padding.
     */
    record FlatTap(int lo, int hi, int off, int firstRow, int endRow, int firstCol, int endCol) {
        static FlatTap of(ConvGeometry g, int i, int j) {
            int w = g.outW();
            int r0 = Math.max(0, Math.min(g.outH(), g.padH() - i));
            int r1 = Math.max(0, Math.min(g.outH(), g.inH() + g.padH() - i));
            int c0 = firstInside(g, j);
            int c1 = endInside(g, j);
            int off = (i - g.padH()) * w + (j - g.padW());
            if (r1 <= r0 || c1 <= c0) {
                return new FlatTap(0, 0, off, 0, 0, 0, 0);
            }
            return new FlatTap(r0 * w + c0, (r1 - 1) * w + c1, off, r0, r1, c0, c1);
        }

        /** Zeroes a[shift + q] for the wrap gaps q between valid rows (shift: where pixel 0 sits in a). */
        void zeroGaps(float[] a, int w, int shift) {
            for (int py = firstRow; py < endRow - 1; py++) {
                for (int q = shift + py * w + endCol; q < shift + (py + 1) * w + firstCol; q++) {
                    a[q] = 0f;   // a gap is 2 padW cells: a loop, not a call to Arrays.fill
                }
            }
        }
    }

    /** The {@link FlatTap}s of a {@link #flat} geometry, in kernel order (i, j). */
    static FlatTap[] flatTaps(ConvGeometry g) {
        FlatTap[] taps = new FlatTap[g.kH() * g.kW()];
        for (int k = 0; k < taps.length; k++) {
            taps[k] = FlatTap.of(g, k / g.kW(), k % g.kW());
        }
        return taps;
    }

    /** row[0, P) = patch row d of image b of x (B, C, H, W). */
    static void row(ConvGeometry g, float[] x, int b, int d, float[] row) {
        int khw = g.kH() * g.kW();
        int c = d / khw;
        int i = d % khw / g.kW();
        int j = d % g.kW();
        int planeStart = (b * g.inC() + c) * g.inH() * g.inW();
        int p = g.outH() * g.outW();
        if (flat(g)) {
            FlatTap tap = FlatTap.of(g, i, j);
            Arrays.fill(row, 0, tap.lo(), 0f);
            if (tap.hi() > tap.lo()) {
                System.arraycopy(x, planeStart + tap.lo() + tap.off(), row, tap.lo(), tap.hi() - tap.lo());
            }
            Arrays.fill(row, tap.hi(), p, 0f);
            tap.zeroGaps(row, g.outW(), 0);
            return;
        }
        int outW = g.outW();
        int sw = g.strideW();
        int lo = firstInside(g, j);
        int hi = Math.max(lo, endInside(g, j));
        for (int py = 0; py < g.outH(); py++) {
            int iy = py * g.strideH() - g.padH() + i;
            int base = py * outW;
            if (iy < 0 || iy >= g.inH()) {
                Arrays.fill(row, base, base + outW, 0f);
                continue;
            }
            int ix0 = planeStart + iy * g.inW() - g.padW() + j;
            Arrays.fill(row, base, base + lo, 0f);
            if (sw == 1) {
                if (hi > lo) {   // an empty copy still checks its source index, which may be -1 here
                    System.arraycopy(x, ix0 + lo, row, base + lo, hi - lo);
                }
            } else {
                for (int px = lo; px < hi; px++) {
                    row[base + px] = x[ix0 + px * sw];
                }
            }
            Arrays.fill(row, base + hi, base + outW, 0f);
        }
    }
}

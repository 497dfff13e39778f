#include "common.cuh"

// pool.cu: 2-D max and average pooling and their gradients (PoolShape in common.cuh).
//
// Layouts: planes = batch*channels independent planes
//   x, gx  (planes, inH, inW)      y, gy  (planes, outH, outW)
// Window (py, px) covers rows py*strideH - padH + [0, kH) and columns px*strideW - padW + [0, kW).
// Max pooling ignores padded cells (padding <= half the window, so every window has a real cell);
// average pooling counts them as zeros (divides by kH*kW, PyTorch's count_include_pad).
//
// Launch shapes (1-D: block 256, grid min(ceil(n/256), 4096), grid-stride):
//   max_pool_fwd, avg_pool_fwd   1-D over planes*outH*outW   (one thread per output)
//   max_pool_bwd, avg_pool_bwd   1-D over planes*inH*inW     (one thread per input cell: it
//                                gathers from the windows covering it, so no atomics)

namespace nrpm_pool {

// Output rows [lo, hi) whose windows cover input row iy (likewise for columns).
__device__ __forceinline__ void covering(int iy, int k, int stride, int pad, int outN, int& lo, int& hi) {
    const int first = iy + pad - k + 1;   // smallest py*stride with iy inside the window
    lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    hi = (iy + pad) / stride + 1;
    if (hi > outN) hi = outN;
}

// Decomposes a flat index over (planes, h, w).
__device__ __forceinline__ void split3(long long idx, int h, int w, long long& plane, int& r, int& c) {
    c = (int)(idx % w);
    const long long t = idx / w;
    r = (int)(t % h);
    plane = t / h;
}

// The in-image rows [ya, yb) and columns [xa, xb) of output cell (py, px)'s window.
__device__ __forceinline__ void window(const PoolShape& s, int py, int px, int& ya, int& yb, int& xa, int& xb) {
    const int y0 = py * s.strideH - s.padH;
    const int x0 = px * s.strideW - s.padW;
    ya = max(y0, 0);
    yb = min(y0 + s.kH, s.inH);
    xa = max(x0, 0);
    xb = min(x0 + s.kW, s.inW);
}

}  // namespace nrpm_pool

// y[p, py, px] = max of the window's in-image cells (NaN if any is NaN, as Java's Math.max)
NRPM_KERNEL void max_pool_fwd(PoolShape s, const float* x, float* y) {
    using namespace nrpm_pool;
    const long long n = (long long)s.planes * s.outH * s.outW;
    GRID_STRIDE_LOOP(idx, n) {
        long long plane;
        int py, px;
        split3(idx, s.outH, s.outW, plane, py, px);
        const float* xp = x + plane * s.inH * s.inW;
        int ya, yb, xa, xb;
        window(s, py, px, ya, yb, xa, xb);
        float best = -INFINITY;
        for (int iy = ya; iy < yb; ++iy) {
            for (int ix = xa; ix < xb; ++ix) {
                const float v = xp[iy * s.inW + ix];
                if (v > best || v != v) best = v;   // once NaN, nothing compares greater
            }
        }
        y[idx] = best;
    }
}

// gx[cell] += gy of every window whose first maximum (row-major; ties and NaN keep the earlier
// cell, exactly the reference's rule) is this cell; the argmax is recomputed from x. With
// accumulate = 0, = instead of += (gx not read).
NRPM_KERNEL void max_pool_bwd(PoolShape s, const float* x, const float* gy, float* gx, int accumulate) {
    using namespace nrpm_pool;
    const long long n = (long long)s.planes * s.inH * s.inW;
    GRID_STRIDE_LOOP(idx, n) {
        long long plane;
        int iy, ix;
        split3(idx, s.inH, s.inW, plane, iy, ix);
        const float* xp = x + plane * s.inH * s.inW;
        const float* gp = gy + plane * s.outH * s.outW;
        const int self = iy * s.inW + ix;
        int pyLo, pyHi, pxLo, pxHi;
        covering(iy, s.kH, s.strideH, s.padH, s.outH, pyLo, pyHi);
        covering(ix, s.kW, s.strideW, s.padW, s.outW, pxLo, pxHi);
        float sum = 0.0f;
        for (int py = pyLo; py < pyHi; ++py) {
            const int y0 = py * s.strideH - s.padH;
            const int ya = max(y0, 0), yb = min(y0 + s.kH, s.inH);
            for (int px = pxLo; px < pxHi; ++px) {
                const int x0 = px * s.strideW - s.padW;
                const int xa = max(x0, 0), xb = min(x0 + s.kW, s.inW);
                int arg = -1;
                float best = 0.0f;
                for (int wy = ya; wy < yb; ++wy) {
                    for (int wx = xa; wx < xb; ++wx) {
                        const float v = xp[wy * s.inW + wx];
                        if (arg < 0 || v > best) {
                            best = v;
                            arg = wy * s.inW + wx;
                        }
                    }
                }
                if (arg == self) sum += gp[py * s.outW + px];
            }
        }
        gx[idx] = accumulate ? gx[idx] + sum : sum;
    }
}

// y[p, py, px] = (sum of the window's in-image cells) / (kH kW)
NRPM_KERNEL void avg_pool_fwd(PoolShape s, const float* x, float* y) {
    using namespace nrpm_pool;
    const long long n = (long long)s.planes * s.outH * s.outW;
    const float area = (float)(s.kH * s.kW);
    GRID_STRIDE_LOOP(idx, n) {
        long long plane;
        int py, px;
        split3(idx, s.outH, s.outW, plane, py, px);
        const float* xp = x + plane * s.inH * s.inW;
        int ya, yb, xa, xb;
        window(s, py, px, ya, yb, xa, xb);
        float sum = 0.0f;
        for (int iy = ya; iy < yb; ++iy) {
            for (int ix = xa; ix < xb; ++ix) sum += xp[iy * s.inW + ix];
        }
        y[idx] = sum / area;
    }
}

// gx[cell] += sum over the windows covering the cell of gy / (kH kW) (= when accumulate is 0)
NRPM_KERNEL void avg_pool_bwd(PoolShape s, const float* gy, float* gx, int accumulate) {
    using namespace nrpm_pool;
    const long long n = (long long)s.planes * s.inH * s.inW;
    const float area = (float)(s.kH * s.kW);
    GRID_STRIDE_LOOP(idx, n) {
        long long plane;
        int iy, ix;
        split3(idx, s.inH, s.inW, plane, iy, ix);
        const float* gp = gy + plane * s.outH * s.outW;
        int pyLo, pyHi, pxLo, pxHi;
        covering(iy, s.kH, s.strideH, s.padH, s.outH, pyLo, pyHi);
        covering(ix, s.kW, s.strideW, s.padW, s.outW, pxLo, pxHi);
        float sum = 0.0f;
        for (int py = pyLo; py < pyHi; ++py) {
            for (int px = pxLo; px < pxHi; ++px) sum += gp[py * s.outW + px];
        }
        gx[idx] = accumulate ? gx[idx] + sum / area : sum / area;
    }
}

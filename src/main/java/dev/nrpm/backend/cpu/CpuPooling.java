package dev.nrpm.backend.cpu;

import dev.nrpm.backend.PoolGeometry;

/** Max and average pooling, parallel over planes. */
final class CpuPooling {
    private CpuPooling() {
    }

    static void max(PoolGeometry g, float[] x, float[] y) {
        int ho = g.outH();
        int wo = g.outW();
        CpuParallel.forRange(g.planes(), 16, (c, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int in = pl * g.inH() * g.inW();
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        float best = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < g.kH(); i++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            if (iy < 0 || iy >= g.inH()) {
                                continue;
                            }
                            for (int j = 0; j < g.kW(); j++) {
                                int ix = px * g.strideW() - g.padW() + j;
                                if (ix >= 0 && ix < g.inW()) {
                                    best = Math.max(best, x[in + iy * g.inW() + ix]);
                                }
                            }
                        }
                        y[(pl * ho + py) * wo + px] = best;
                    }
                }
            }
        });
    }

    /** Routes each gradient to the first maximum of its window (ties: first in row-major order). */
    static void maxBackward(PoolGeometry g, float[] x, float[] gy, float[] gx) {
        int ho = g.outH();
        int wo = g.outW();
        CpuParallel.forRange(g.planes(), 16, (c, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int in = pl * g.inH() * g.inW();
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        int arg = -1;
                        float best = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < g.kH(); i++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            if (iy < 0 || iy >= g.inH()) {
                                continue;
                            }
                            for (int j = 0; j < g.kW(); j++) {
                                int ix = px * g.strideW() - g.padW() + j;
                                if (ix >= 0 && ix < g.inW()) {
                                    int idx = in + iy * g.inW() + ix;
                                    if (arg < 0 || x[idx] > best) {
                                        best = x[idx];
                                        arg = idx;
                                    }
                                }
                            }
                        }
                        gx[arg] += gy[(pl * ho + py) * wo + px];
                    }
                }
            }
        });
    }

    /** Average over the window, padded cells counted as zeros (count_include_pad). */
    static void avg(PoolGeometry g, float[] x, float[] y) {
        int ho = g.outH();
        int wo = g.outW();
        float inv = 1f / (g.kH() * g.kW());
        CpuParallel.forRange(g.planes(), 16, (c, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int in = pl * g.inH() * g.inW();
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        float s = 0;
                        for (int i = 0; i < g.kH(); i++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            if (iy < 0 || iy >= g.inH()) {
                                continue;
                            }
                            for (int j = 0; j < g.kW(); j++) {
                                int ix = px * g.strideW() - g.padW() + j;
                                if (ix >= 0 && ix < g.inW()) {
                                    s += x[in + iy * g.inW() + ix];
                                }
                            }
                        }
                        y[(pl * ho + py) * wo + px] = s * inv;
                    }
                }
            }
        });
    }

    static void avgBackward(PoolGeometry g, float[] gy, float[] gx) {
        int ho = g.outH();
        int wo = g.outW();
        float inv = 1f / (g.kH() * g.kW());
        CpuParallel.forRange(g.planes(), 16, (c, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int in = pl * g.inH() * g.inW();
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        float v = gy[(pl * ho + py) * wo + px] * inv;
                        for (int i = 0; i < g.kH(); i++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            if (iy < 0 || iy >= g.inH()) {
                                continue;
                            }
                            for (int j = 0; j < g.kW(); j++) {
                                int ix = px * g.strideW() - g.padW() + j;
                                if (ix >= 0 && ix < g.inW()) {
                                    gx[in + iy * g.inW() + ix] += v;
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}

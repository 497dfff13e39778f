package dev.nrpm.backend.reference;

import static dev.nrpm.backend.reference.ReferenceBackend.a;
import static dev.nrpm.backend.reference.ReferenceBackend.gradOut;
import static dev.nrpm.backend.reference.ReferenceBackend.orNull;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;

/** Convolution in float64: direct loops for the forward, unfold/fold (im2col/col2im) for the gradients and NRPM. */
final class ReferenceConv {
    private ReferenceConv() {
    }

    static void conv2d(ConvGeometry g, Buffer xb, Buffer wb, Buffer yb) {
        double[] x = a(xb);
        double[] w = a(wb);
        double[] y = a(yb);
        int ho = g.outH();
        int wo = g.outW();
        for (int b = 0; b < g.batch(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        double s = 0;
                        for (int c = 0; c < g.inC(); c++) {
                            for (int i = 0; i < g.kH(); i++) {
                                for (int j = 0; j < g.kW(); j++) {
                                    int iy = py * g.strideH() - g.padH() + i;
                                    int ix = px * g.strideW() - g.padW() + j;
                                    if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                        s += w[((o * g.inC() + c) * g.kH() + i) * g.kW() + j]
                                                * x[((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix];
                                    }
                                }
                            }
                        }
                        y[((b * g.outC() + o) * ho + py) * wo + px] = s;
                    }
                }
            }
        }
    }

    static void conv2dBackward(ConvGeometry g, Buffer xb, Buffer wb, Buffer gyb, Buffer gxb, boolean accumulateGx,
                               Buffer gwb) {
        convBackward(g, a(gyb), a(wb), a(xb), gradOut(gxb, accumulateGx), orNull(gwb));
    }

    static void convBackward(ConvGeometry g, double[] gy, double[] w, double[] x, double[] gx, double[] gw) {
        int ho = g.outH();
        int wo = g.outW();
        for (int b = 0; b < g.batch(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                for (int py = 0; py < ho; py++) {
                    for (int px = 0; px < wo; px++) {
                        double gv = gy[((b * g.outC() + o) * ho + py) * wo + px];
                        for (int c = 0; c < g.inC(); c++) {
                            for (int i = 0; i < g.kH(); i++) {
                                for (int j = 0; j < g.kW(); j++) {
                                    int iy = py * g.strideH() - g.padH() + i;
                                    int ix = px * g.strideW() - g.padW() + j;
                                    if (iy < 0 || iy >= g.inH() || ix < 0 || ix >= g.inW()) {
                                        continue;
                                    }
                                    int wi = ((o * g.inC() + c) * g.kH() + i) * g.kW() + j;
                                    int xi = ((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix;
                                    if (gx != null) {
                                        gx[xi] += gv * w[wi];
                                    }
                                    if (gw != null) {
                                        gw[wi] += gv * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Visits every (patch column, input cell) pair a convolution reads; padded positions are skipped. */
    @FunctionalInterface
    private interface TapVisitor {
        void visit(int column, int input);
    }

    /** column indexes the patches (batch * pixels, D); input indexes x (B, C, H, W). */
    private static void forEachTap(ConvGeometry g, TapVisitor v) {
        int p = g.outH() * g.outW();
        int d = g.patchSize();
        for (int b = 0; b < g.batch(); b++) {
            for (int py = 0; py < g.outH(); py++) {
                for (int px = 0; px < g.outW(); px++) {
                    int row = (b * p + py * g.outW() + px) * d;
                    for (int c = 0; c < g.inC(); c++) {
                        for (int i = 0; i < g.kH(); i++) {
                            for (int j = 0; j < g.kW(); j++) {
                                int iy = py * g.strideH() - g.padH() + i;
                                int ix = px * g.strideW() - g.padW() + j;
                                if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                    v.visit(row + (c * g.kH() + i) * g.kW() + j,
                                            ((b * g.inC() + c) * g.inH() + iy) * g.inW() + ix);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Unfolds x into patches (batch * pixels, D), padded positions as zeros. */
    static double[] unfold(ConvGeometry g, double[] x) {
        double[] cols = new double[Math.toIntExact((long) g.batch() * g.outH() * g.outW() * g.patchSize())];
        forEachTap(g, (column, input) -> cols[column] = x[input]);
        return cols;
    }

    /** Adds patch gradients (batch * pixels, D) back into gx (B, C, H, W); padded positions drop. */
    static void fold(ConvGeometry g, double[] cols, double[] gx) {
        forEachTap(g, (column, input) -> gx[input] += cols[column]);
    }
}

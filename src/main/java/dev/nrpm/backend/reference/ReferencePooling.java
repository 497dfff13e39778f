package dev.nrpm.backend.reference;

import static dev.nrpm.backend.reference.ReferenceBackend.a;
import static dev.nrpm.backend.reference.ReferenceBackend.gradOut;

import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.PoolGeometry;

/** Max and average pooling in float64, forward and backward. */
final class ReferencePooling {
    private ReferencePooling() {
    }

    static void maxPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        double[] x = a(xb);
        double[] y = a(yb);
        forEachWindow(g, (plane, out, first, cells) -> {
            double best = Double.NEGATIVE_INFINITY;
            for (int c : cells) {
                best = Math.max(best, x[first + c]);
            }
            y[out] = best;
        });
    }

    static void maxPool2dBackward(PoolGeometry g, Buffer xb, Buffer gyb, Buffer gxb, boolean accumulate) {
        double[] x = a(xb);
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        forEachWindow(g, (plane, out, first, cells) -> {
            int arg = -1;
            double best = Double.NEGATIVE_INFINITY;
            for (int c : cells) {
                if (arg < 0 || x[first + c] > best) {
                    best = x[first + c];
                    arg = c;
                }
            }
            gx[first + arg] += gy[out];
        });
    }

    static void avgPool2d(PoolGeometry g, Buffer xb, Buffer yb) {
        double[] x = a(xb);
        double[] y = a(yb);
        double area = g.kH() * g.kW();
        forEachWindow(g, (plane, out, first, cells) -> {
            double s = 0;
            for (int c : cells) {
                s += x[first + c];
            }
            y[out] = s / area;
        });
    }

    static void avgPool2dBackward(PoolGeometry g, Buffer gyb, Buffer gxb, boolean accumulate) {
        double[] gy = a(gyb);
        double[] gx = gradOut(gxb, accumulate);
        double area = g.kH() * g.kW();
        forEachWindow(g, (plane, out, first, cells) -> {
            for (int c : cells) {
                gx[first + c] += gy[out] / area;
            }
        });
    }

    private interface WindowVisitor {
        /** cells: offsets (from first) of the window's in-bounds input cells, row-major. */
        void visit(int plane, int out, int first, int[] cells);
    }

    static void forEachWindow(PoolGeometry g, WindowVisitor v) {
        int ho = g.outH();
        int wo = g.outW();
        for (int pl = 0; pl < g.planes(); pl++) {
            int first = pl * g.inH() * g.inW();
            for (int py = 0; py < ho; py++) {
                for (int px = 0; px < wo; px++) {
                    java.util.List<Integer> cells = new java.util.ArrayList<>();
                    for (int i = 0; i < g.kH(); i++) {
                        for (int j = 0; j < g.kW(); j++) {
                            int iy = py * g.strideH() - g.padH() + i;
                            int ix = px * g.strideW() - g.padW() + j;
                            if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
                                cells.add(iy * g.inW() + ix);
                            }
                        }
                    }
                    v.visit(pl, (pl * ho + py) * wo + px, first, cells.stream().mapToInt(Integer::intValue).toArray());
                }
            }
        }
    }
}

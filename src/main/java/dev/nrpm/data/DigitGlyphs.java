package dev.nrpm.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Vector glyphs of the digits 0-9 for {@link SynthMnist}: each digit has a few variants (a 1
 * with or without a flag, a 7 with or without a bar, an open or closed 4, ...), each variant a
 * list of strokes, each stroke a polyline {x0, y0, x1, y1, ...} in a unit box with y pointing
 * down. Digits fill about x in [0.2, 0.8], y in [0.1, 0.9], as MNIST digits fill the middle
 * 20x20 of their 28x28 image.
 */
final class DigitGlyphs {
    private static final List<List<double[][]>> GLYPHS = build();

    private DigitGlyphs() {
    }

    /** The variants of a digit; each is strokes of (x, y) pairs. */
    static List<double[][]> variants(int digit) {
        return GLYPHS.get(digit);
    }

    /** Points on an ellipse arc, angles in degrees, clockwise on screen (y down) from +x. */
    private static double[] arc(double cx, double cy, double rx, double ry, double fromDeg, double toDeg) {
        int n = Math.max(2, (int) Math.ceil(Math.abs(toDeg - fromDeg) / 20.0)) + 1;   // 20-degree segments
        double[] p = new double[2 * n];
        for (int k = 0; k < n; k++) {
            double t = Math.toRadians(fromDeg + (toDeg - fromDeg) * k / (n - 1));
            p[2 * k] = cx + rx * StrictMath.cos(t);
            p[2 * k + 1] = cy + ry * StrictMath.sin(t);
        }
        return p;
    }

    /** Joins polylines into one stroke (the pen does not lift). */
    private static double[] join(double[]... parts) {
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static double[] line(double... xy) {
        return xy;
    }

    private static List<List<double[][]>> build() {
        List<List<double[][]>> g = new ArrayList<>();
        // 0: an upright oval; a narrower one with a slight overlap at the top
        g.add(List.of(
                new double[][]{arc(0.5, 0.5, 0.27, 0.4, 0, 360)},
                new double[][]{arc(0.5, 0.5, 0.21, 0.41, -80, 290)}));
        // 1: a bar; with a flag; with a flag and a foot
        g.add(List.of(
                new double[][]{line(0.5, 0.1, 0.5, 0.9)},
                new double[][]{line(0.36, 0.25, 0.52, 0.1, 0.52, 0.9)},
                new double[][]{line(0.36, 0.25, 0.52, 0.1, 0.52, 0.9), line(0.36, 0.9, 0.68, 0.9)}));
        // 2: a hook, a diagonal, a base; or with a loop at the bottom-left
        g.add(List.of(
                new double[][]{join(arc(0.5, 0.32, 0.26, 0.22, 190, 400), line(0.22, 0.9, 0.8, 0.9))},
                new double[][]{join(arc(0.5, 0.32, 0.26, 0.22, 190, 400), line(0.3, 0.82),
                        arc(0.3, 0.84, 0.07, 0.06, 270, 0), line(0.8, 0.88))}));
        // 3: two bowls open to the left; or a flat top
        g.add(List.of(
                new double[][]{join(arc(0.48, 0.3, 0.24, 0.2, 200, 450), arc(0.48, 0.7, 0.27, 0.2, 270, 520))},
                new double[][]{join(line(0.25, 0.1, 0.72, 0.1, 0.45, 0.45), arc(0.47, 0.68, 0.27, 0.23, 270, 520))}));
        // 4: closed (a triangle and a bar); open (two strokes)
        g.add(List.of(
                new double[][]{line(0.62, 0.9, 0.62, 0.1, 0.2, 0.65, 0.8, 0.65)},
                new double[][]{line(0.3, 0.1, 0.24, 0.6, 0.8, 0.6), line(0.64, 0.3, 0.64, 0.9)}));
        // 5: a flag, a down stroke and a bowl; or drawn in two strokes
        g.add(List.of(
                new double[][]{join(line(0.75, 0.1, 0.32, 0.1, 0.28, 0.47), arc(0.48, 0.65, 0.28, 0.25, 225, 520))},
                new double[][]{join(line(0.32, 0.1, 0.28, 0.47), arc(0.48, 0.65, 0.28, 0.25, 225, 520)),
                        line(0.32, 0.1, 0.76, 0.1)}));
        // 6: a curved stem into a bottom loop
        g.add(List.of(
                new double[][]{join(line(0.7, 0.1, 0.52, 0.18, 0.38, 0.32, 0.3, 0.5), arc(0.5, 0.68, 0.22, 0.21, 180, 540))},
                new double[][]{join(line(0.62, 0.1, 0.4, 0.35, 0.3, 0.6), arc(0.5, 0.7, 0.2, 0.19, 160, 520))}));
        // 7: a top bar and a diagonal; with a middle bar; with a bent diagonal
        g.add(List.of(
                new double[][]{line(0.2, 0.1, 0.8, 0.1, 0.42, 0.9)},
                new double[][]{line(0.2, 0.1, 0.8, 0.1, 0.42, 0.9), line(0.38, 0.5, 0.74, 0.5)},
                new double[][]{line(0.22, 0.16, 0.25, 0.1, 0.8, 0.1, 0.55, 0.5, 0.5, 0.9)}));
        // 8: two stacked loops; or one figure-eight stroke
        g.add(List.of(
                new double[][]{arc(0.5, 0.3, 0.2, 0.19, 0, 360), arc(0.5, 0.7, 0.24, 0.2, 0, 360)},
                new double[][]{join(arc(0.5, 0.3, 0.19, 0.19, 90, -180), arc(0.5, 0.7, 0.23, 0.21, 270, 630))}));
        // 9: a top loop and a stem; or a curved tail
        g.add(List.of(
                new double[][]{arc(0.5, 0.32, 0.22, 0.21, 0, 360), line(0.72, 0.3, 0.68, 0.9)},
                new double[][]{join(arc(0.5, 0.32, 0.22, 0.21, 0, 360), line(0.72, 0.55, 0.62, 0.8, 0.45, 0.9))}));
        return List.copyOf(g);
    }
}

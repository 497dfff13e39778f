package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

/**
 * "synth-cifar": ten classes of 3x32x32 colour images, drawn in memory, as a stand-in for
 * CIFAR-10 where it is not available. Classes differ by shape or texture:
 *
 * <pre>
 *   0 disc             5 horizontal stripes
 *   1 square (turned)  6 vertical stripes
 *   2 triangle         7 checkerboard
 *   3 ring             8 diagonal stripes
 *   4 cross            9 polka dots
 * </pre>
 *
 * and by colour only loosely: the foreground hue of class k is centred on 36k degrees with a
 * spread (25 degrees) that overlaps the neighbouring classes, so colour alone does not decide
 * the class. Shapes have a random size, turn and position, textures a random period, phase and
 * patch; the background is a random dull colour with a gradient, and every pixel gets noise. A
 * linear classifier gets well above chance but far from all of it; a small CNN does much better.
 * Image i has label i mod 10 and is drawn from its own stream derived from (seed, i), as in
 * {@link SynthMnist}.
 */
public final class SynthCifar {
    public static final String NAME = "synth-cifar";
    public static final int SIDE = 32;
    private static final int CLASSES = 10;
    private static final int PLANE = SIDE * SIDE;

    private SynthCifar() {
    }

    /** count images (3, 32, 32) named name, reproducible from seed. */
    public static ImageDataset generate(String name, int count, long seed) {
        if (count <= 0) {
            throw new InvalidSettingException(name + ": the number of images must be positive, got " + count);
        }
        byte[] pixels = new byte[Math.multiplyExact(count, 3 * PLANE)];   // (N, 3, 32, 32)
        byte[] labels = new byte[count];
        float[] canvas = new float[3 * PLANE];
        for (int i = 0; i < count; i++) {
            int label = i % CLASSES;
            labels[i] = (byte) label;
            draw(label, SplitMix.derive(seed, i), canvas);
            for (int k = 0; k < canvas.length; k++) {
                pixels[i * canvas.length + k] = (byte) Math.round(canvas[k] * 255.0f);
            }
        }
        return new ImageDataset(name, 3, SIDE, SIDE, CLASSES, pixels, labels);
    }

    /** Draws one image of class label into canvas (3, 32, 32), values in [0, 1]. */
    static void draw(int label, SplitMix rng, float[] canvas) {
        float[] fg = hsv(36.0 * label + 25.0 * rng.gaussian(), rng.uniform(0.55, 1.0), rng.uniform(0.65, 1.0));
        float[] bg = hsv(rng.uniform(0, 360), rng.uniform(0.0, 0.45), rng.uniform(0.1, 0.5));
        float[] bg2 = hsv(rng.uniform(0, 360), rng.uniform(0.0, 0.45), rng.uniform(0.1, 0.5));
        double gradAngle = rng.uniform(0, 2 * Math.PI);
        double gx = StrictMath.cos(gradAngle) / SIDE;
        double gy = StrictMath.sin(gradAngle) / SIDE;

        // shape geometry: centre, size, turn
        double r = rng.uniform(6.0, 11.0);
        double cx = rng.uniform(r + 1, SIDE - r - 1);
        double cy = rng.uniform(r + 1, SIDE - r - 1);
        double turn = rng.uniform(0, Math.PI / 2);
        double cos = StrictMath.cos(turn);
        double sin = StrictMath.sin(turn);
        double[] normals = new double[6];   // outward unit normals of the triangle's edges
        for (int k = 0; k < 3; k++) {
            double n = turn * 4.0 / 3.0 + Math.PI / 2 + k * 2 * Math.PI / 3;
            normals[2 * k] = StrictMath.cos(n);
            normals[2 * k + 1] = StrictMath.sin(n);
        }
        // texture geometry: period, phase, the patch it covers (at least half of each side)
        double period = rng.uniform(4.0, 8.0);
        double phase = rng.uniform(0, period);
        int pw = 16 + rng.nextInt(17);
        int ph = 16 + rng.nextInt(17);
        int px0 = rng.nextInt(SIDE - pw + 1);
        int py0 = rng.nextInt(SIDE - ph + 1);

        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double u = x + 0.5;
                double v = y + 0.5;
                double cover = switch (label) {
                    case 0 -> edge(Math.sqrt((u - cx) * (u - cx) + (v - cy) * (v - cy)) - r);
                    case 1 -> edge(rect(u - cx, v - cy, cos, sin, r * 0.85, r * 0.85));
                    case 2 -> edge(triangle(u - cx, v - cy, normals, r));
                    case 3 -> edge(Math.abs(Math.sqrt((u - cx) * (u - cx) + (v - cy) * (v - cy)) - r * 0.75) - r * 0.22);
                    case 4 -> edge(Math.min(rect(u - cx, v - cy, cos, sin, r, r * 0.3), rect(u - cx, v - cy, cos, sin, r * 0.3, r)));
                    default -> inPatch(x, y, px0, py0, pw, ph) ? texture(label, u, v, period, phase) : 0.0;
                };
                double t = 0.5 + (u - SIDE / 2.0) * gx + (v - SIDE / 2.0) * gy;   // background gradient, 0..1
                for (int c = 0; c < 3; c++) {
                    double back = bg[c] * (1 - t) + bg2[c] * t;
                    double value = back * (1 - cover) + fg[c] * cover + 0.04 * rng.roughGaussian();
                    canvas[c * PLANE + y * SIDE + x] = (float) Math.max(0.0, Math.min(1.0, value));
                }
            }
        }
    }

    /** Coverage from a signed distance (negative inside): a 1-pixel anti-aliased edge. */
    private static double edge(double signedDistance) {
        return Math.max(0.0, Math.min(1.0, 0.5 - signedDistance));
    }

    /** Signed distance (inside < 0, an L-infinity approximation) to a rectangle turned by (cos, sin). */
    private static double rect(double dx, double dy, double cos, double sin, double halfW, double halfH) {
        double a = cos * dx + sin * dy;
        double b = -sin * dx + cos * dy;
        return Math.max(Math.abs(a) - halfW, Math.abs(b) - halfH);
    }

    /** Signed distance to an equilateral triangle of circumradius r: the max over its three edges. */
    private static double triangle(double dx, double dy, double[] normals, double r) {
        double d = -Double.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            d = Math.max(d, dx * normals[2 * k] + dy * normals[2 * k + 1] - r / 2);
        }
        return d;
    }

    private static boolean inPatch(int x, int y, int x0, int y0, int w, int h) {
        return x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
    }

    /** Texture coverage (0 or 1, half the period on) for the texture classes 5..9. */
    private static double texture(int label, double u, double v, double period, double phase) {
        double a = switch (label) {
            case 5 -> (v + phase) / period;
            case 6 -> (u + phase) / period;
            case 7 -> Math.floor((u + phase) / period) + Math.floor((v + phase) / period);
            case 8 -> (u + v + phase) / (period * Math.sqrt(2));
            default -> -1.0;
        };
        if (label == 7) {
            return ((long) a & 1) == 0 ? 1.0 : 0.0;
        }
        if (label == 9) {
            // dots of radius period/4 on a square grid of pitch period
            double fu = (u + phase) % period - period / 2;
            double fv = (v + phase) % period - period / 2;
            return edge(Math.sqrt(fu * fu + fv * fv) - period / 4);
        }
        return a - Math.floor(a) < 0.5 ? 1.0 : 0.0;
    }

    /** HSV (hue in degrees, any value; s, v in [0, 1]) to RGB in [0, 1]. */
    private static float[] hsv(double hue, double s, double v) {
        double h = ((hue % 360) + 360) % 360 / 60.0;
        int sector = (int) h;
        double f = h - sector;
        double p = v * (1 - s);
        double q = v * (1 - s * f);
        double t = v * (1 - s * (1 - f));
        double[] rgb = switch (sector) {
            case 0 -> new double[]{v, t, p};
            case 1 -> new double[]{q, v, p};
            case 2 -> new double[]{p, v, t};
            case 3 -> new double[]{p, q, v};
            case 4 -> new double[]{t, p, v};
            default -> new double[]{v, p, q};
        };
        return new float[]{(float) rgb[0], (float) rgb[1], (float) rgb[2]};
    }
}

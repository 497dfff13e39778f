package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

import java.util.List;

/**
 * "synth-mnist": MNIST-like digits, 1x28x28, drawn in memory from vector glyphs
 * ({@link DigitGlyphs}) so that tests, examples and CI have digits without any download.
 *
 * <p>Each image picks a glyph variant of its digit and draws it through a random affine map
 * (scale, aspect, rotation, slant, shift), with per-point wobble, a random pen width and ink
 * level, anti-aliased edges, a little ink noise and a few faint specks on an otherwise black
 * background. A linear classifier separates the classes well but not perfectly; no two images of
 * a class are the same. Image i has label i mod 10 (balanced classes, also in every slice of 10)
 * and is drawn from its own stream derived from (seed, i): a set of n images is the first n of
 * any larger set with the same seed, and every run reproduces it.
 */
public final class SynthMnist {
    public static final String NAME = "synth-mnist";
    public static final int SIDE = 28;
    private static final int CLASSES = 10;

    private SynthMnist() {
    }

    /** count images (1, 28, 28) named name, reproducible from seed. */
    public static ImageDataset generate(String name, int count, long seed) {
        if (count <= 0) {
            throw new InvalidSettingException(name + ": the number of images must be positive, got " + count);
        }
        byte[] pixels = new byte[Math.multiplyExact(count, SIDE * SIDE)];   // (N, 1, 28, 28)
        byte[] labels = new byte[count];
        float[] canvas = new float[SIDE * SIDE];
        for (int i = 0; i < count; i++) {
            int digit = i % CLASSES;
            labels[i] = (byte) digit;
            draw(digit, SplitMix.derive(seed, i), canvas);
            for (int k = 0; k < canvas.length; k++) {
                pixels[i * canvas.length + k] = (byte) Math.round(canvas[k] * 255.0f);
            }
        }
        return new ImageDataset(name, 1, SIDE, SIDE, CLASSES, pixels, labels);
    }

    /** Draws one digit into canvas (28 x 28, values in [0, 1]). */
    static void draw(int digit, SplitMix rng, float[] canvas) {
        java.util.Arrays.fill(canvas, 0.0f);
        List<double[][]> variants = DigitGlyphs.variants(digit);
        double[][] strokes = variants.get(rng.nextInt(variants.size()));

        // glyph box (unit square, centre 0.5) -> pixels: about 20 px tall like MNIST's digit box
        double scale = 20.0 * rng.uniform(0.8, 1.08);
        double aspect = rng.uniform(0.8, 1.2);
        double angle = Math.toRadians(rng.uniform(-14, 14));
        double slant = rng.uniform(-0.3, 0.3);
        double cx = SIDE / 2.0 + rng.uniform(-2.0, 2.0);
        double cy = SIDE / 2.0 + rng.uniform(-2.0, 2.0);
        double cos = StrictMath.cos(angle);
        double sin = StrictMath.sin(angle);
        double halfWidth = rng.uniform(0.8, 1.8);
        float ink = (float) rng.uniform(0.85, 1.0);
        double wobble = 0.025;

        for (double[] stroke : strokes) {
            int n = stroke.length / 2;
            double[] px = new double[n];
            double[] py = new double[n];
            for (int k = 0; k < n; k++) {
                double u = (stroke[2 * k] - 0.5 + wobble * rng.gaussian()) * aspect;
                double v = stroke[2 * k + 1] - 0.5 + wobble * rng.gaussian();
                u += slant * -v;                       // slant: the top leans right for slant > 0
                px[k] = cx + scale * (cos * u - sin * v);
                py[k] = cy + scale * (sin * u + cos * v);
            }
            for (int k = 0; k + 1 < n; k++) {
                segment(canvas, px[k], py[k], px[k + 1], py[k + 1], halfWidth, ink);
            }
        }
        // a little noise on the ink, and a few faint specks on the background
        for (int k = 0; k < canvas.length; k++) {
            if (canvas[k] > 0.0f) {
                canvas[k] = clamp(canvas[k] * (float) (1.0 + 0.08 * rng.gaussian()));
            } else if (rng.chance(0.004)) {
                canvas[k] = (float) rng.uniform(0.05, 0.35);
            }
        }
    }

    /** Paints the segment (ax, ay)-(bx, by) with a round pen; ink = max(old, coverage). */
    private static void segment(float[] canvas, double ax, double ay, double bx, double by, double halfWidth, float ink) {
        double reach = halfWidth + 1.0;
        int x0 = Math.max(0, (int) Math.floor(Math.min(ax, bx) - reach));
        int x1 = Math.min(SIDE - 1, (int) Math.ceil(Math.max(ax, bx) + reach));
        int y0 = Math.max(0, (int) Math.floor(Math.min(ay, by) - reach));
        int y1 = Math.min(SIDE - 1, (int) Math.ceil(Math.max(ay, by) + reach));
        double dx = bx - ax;
        double dy = by - ay;
        double len2 = dx * dx + dy * dy;
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double qx = x + 0.5 - ax;   // pixel centres
                double qy = y + 0.5 - ay;
                double t = len2 == 0.0 ? 0.0 : Math.max(0.0, Math.min(1.0, (qx * dx + qy * dy) / len2));
                double ex = qx - t * dx;
                double ey = qy - t * dy;
                double d = Math.sqrt(ex * ex + ey * ey);
                // a soft edge 1.5 px wide, as MNIST's anti-aliased scans have
                float cover = (float) Math.max(0.0, Math.min(1.0, (halfWidth + 0.75 - d) / 1.5));
                int k = y * SIDE + x;
                canvas[k] = Math.max(canvas[k], cover * ink);
            }
        }
    }

    private static float clamp(float v) {
        return v < 0.0f ? 0.0f : Math.min(1.0f, v);
    }
}

package dev.nrpm.attack;

/**
 * Square Attack (Andriushchenko et al., ECCV 2020): a score-based random search that never looks
 * at gradients, so it still works where gradients are masked. Each query changes one random
 * square window of the current best perturbation, sized to a fraction p of the image that starts
 * at p_init and halves on a fixed schedule, and keeps the change only if the margin
 * z_y - max_{j != y} z_j drops (or the sample becomes misclassified). A sample stops once its
 * margin is <= 0.
 *
 * <p>L-inf: start from vertical stripes of +-eps (one sign per channel and column), and set each
 * window to a vertex of the ball (one sign per channel). L2 (the paper's section 3.2): start from
 * a grid of square "pseudo-Gaussian" blobs; each update moves the perturbation's mass inside one
 * window onto a fresh blob and empties a second window, keeping the norm at eps.
 *
 * <p>Windows and signs are drawn per sample (AutoAttack's batched code shares one window across a
 * batch), so a sample's attack does not depend on its batch; a window's corner is uniform over
 * every position (the reference code never draws the last one). Queries count model evaluations
 * per sample, the start included (the reference makes one more).
 */
public final class Square implements BatchAttack {
    public static final int QUERIES = 5000;
    public static final double P_INIT = 0.8;

    private final Norm norm;
    private final int queries;
    private final double pInit;

    public Square(Norm norm, int queries, double pInit) {
        if (queries < 1) {
            throw new IllegalArgumentException("Square needs at least 1 query");
        }
        if (!(pInit > 0 && pInit <= 1)) {
            throw new IllegalArgumentException("Square's p_init lies in (0, 1]");
        }
        this.norm = norm;
        this.queries = queries;
        this.pInit = pInit;
    }

    @Override
    public String name() {
        return "square";
    }

    public int queries() {
        return queries;
    }

    public double pInit() {
        return pInit;
    }

    /** The window's share of the image at iteration it: p_init halved after 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000. */
    static double fraction(double pInit, int it) {
        int[] marks = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
        double p = pInit;
        for (int mark : marks) {
            if (it > mark) {
                p /= 2;
            }
        }
        return p;
    }

    @Override
    public Result run(Classifier model, SampleBatch b, double eps, long seed, GradientHealth health) {
        int n = b.size();
        int d = b.inner();
        int[] shape = b.shape();
        int c = shape[0];
        int h = shape[1];
        int w = shape[2];
        int k = model.classes();
        float[] x0 = b.x();
        float[] best = new float[n * d];
        SampleRng[] rng = new SampleRng[n];
        for (int i = 0; i < n; i++) {
            rng[i] = SampleRng.of(seed, SampleRng.stream("square", 0), b.ids()[i]);
            if (norm == Norm.LINF) {
                stripes(rng[i], x0, i * d, c, h, w, eps, best);
            } else {
                blobGrid(rng[i], x0, i * d, c, h, w, eps, best);
            }
        }
        double[] margin = new double[n];
        float[] z = model.logits(best, n);
        for (int i = 0; i < n; i++) {
            margin[i] = marginOf(z, i, k, b.labels()[i]);
        }
        float[] candidate = new float[n * d];
        for (int it = 0; it < queries - 1; it++) {
            int[] rows = open(margin);
            if (rows.length == 0) {
                break;
            }
            double p = fraction(pInit, it);
            int m = rows.length;
            float[] xs = new float[m * d];
            for (int r = 0; r < m; r++) {
                int i = rows[r];
                if (norm == Norm.LINF) {
                    linfUpdate(rng[i], x0, best, i * d, c, h, w, eps, p, candidate);
                } else {
                    l2Update(rng[i], x0, best, i * d, c, h, w, eps, p, candidate);
                }
                System.arraycopy(candidate, i * d, xs, r * d, d);
            }
            float[] zs = model.logits(xs, m);
            for (int r = 0; r < m; r++) {
                int i = rows[r];
                double mg = marginOf(zs, r, k, b.labels()[i]);
                if (mg < margin[i] || mg <= 0) {
                    margin[i] = mg;
                    System.arraycopy(xs, r * d, best, i * d, d);
                }
            }
        }
        float[] adv = x0.clone();
        boolean[] broken = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (margin[i] <= 0) {
                broken[i] = true;
                System.arraycopy(best, i * d, adv, i * d, d);
            }
        }
        return new Result(adv, broken);
    }

    /** The margin, with NaN logits as -inf (a model that answers NaN has not classified correctly). */
    private static double marginOf(float[] z, int row, int k, int label) {
        double m = LogitLoss.margin(z, row, k, label);
        return Double.isNaN(m) ? Double.NEGATIVE_INFINITY : m;
    }

    private static int[] open(double[] margin) {
        boolean[] done = new boolean[margin.length];
        for (int i = 0; i < margin.length; i++) {
            done[i] = !(margin[i] > 0);
        }
        return Apgd.unbroken(done);
    }

    private static int side(double p, int d, int c, int h, int w, int min) {
        int s = Math.max((int) Math.round(Math.sqrt(p * d / c)), min);
        if (min == 3 && s % 2 == 0) {
            s++;
        }
        return Math.min(s, Math.min(h, w));
    }

    // ---------------------------------------------------------------- L-inf

    private static void stripes(SampleRng rng, float[] x0, int o, int c, int h, int w, double eps, float[] out) {
        for (int ch = 0; ch < c; ch++) {
            for (int col = 0; col < w; col++) {
                float v = (float) (eps * rng.sign());
                for (int row = 0; row < h; row++) {
                    int j = o + (ch * h + row) * w + col;
                    out[j] = Norm.clip01(x0[j] + v);
                }
            }
        }
    }

    private static void linfUpdate(SampleRng rng, float[] x0, float[] best, int o, int c, int h, int w, double eps,
                                   double p, float[] out) {
        int d = c * h * w;
        int s = side(p, d, c, h, w, 1);
        int vh = rng.between(0, h - s);
        int vw = rng.between(0, w - s);
        System.arraycopy(best, o, out, o, d);
        for (int ch = 0; ch < c; ch++) {
            float v = (float) (eps * rng.sign());
            for (int row = vh; row < vh + s; row++) {
                for (int col = vw; col < vw + s; col++) {
                    int j = o + (ch * h + row) * w + col;
                    out[j] = Norm.clip01(x0[j] + v);
                }
            }
        }
    }

    // ---------------------------------------------------------------- L2

    /** The paper's s x s blob: two rectangles of opposite sign, each peaked at its centre, unit L2 norm, randomly transposed. */
    static double[] blob(SampleRng rng, int s) {
        double[] out = new double[s * s];
        int top = s / 2;
        double[] upper = rectangle(top, s);
        double[] lower = rectangle(s - top, s);
        for (int i = 0; i < top * s; i++) {
            out[i] = upper[i];
        }
        for (int i = 0; i < (s - top) * s; i++) {
            out[top * s + i] = -lower[i];
        }
        normalize(out);
        if (rng.nextDouble() > 0.5) {
            double[] t = new double[s * s];
            for (int r = 0; r < s; r++) {
                for (int q = 0; q < s; q++) {
                    t[q * s + r] = out[r * s + q];
                }
            }
            out = t;
        }
        return out;
    }

    /** Nested rectangles around the centre, ring i weighted 1 / (i + 1)^2, unit L2 norm. */
    private static double[] rectangle(int x, int y) {
        double[] out = new double[x * y];
        if (x == 0) {
            return out;
        }
        int r0 = x / 2;
        int c0 = y / 2;
        for (int ring = 0; ring < Math.max(x / 2 + 1, y / 2 + 1); ring++) {
            double v = 1.0 / ((ring + 1.0) * (ring + 1.0));
            for (int r = Math.max(r0 - ring, 0); r < Math.min(r0 - ring + 2 * ring + 1, x); r++) {
                for (int q = Math.max(c0 - ring, 0); q < Math.min(c0 - ring + 2 * ring + 1, y); q++) {
                    out[r * y + q] += v;
                }
            }
        }
        normalize(out);
        return out;
    }

    private static void normalize(double[] v) {
        double n = 0;
        for (double e : v) {
            n += e * e;
        }
        n = Math.sqrt(n);
        if (n > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] /= n;
            }
        }
    }

    private static void blobGrid(SampleRng rng, float[] x0, int o, int c, int h, int w, double eps, float[] out) {
        int d = c * h * w;
        double[] delta = new double[d];
        int s = Math.max(h / 5, 1);
        int start = Math.max((h - s * 5) / 2, 0);
        for (int vh = start; vh + s <= h; vh += s) {
            for (int vw = start; vw + s <= w; vw += s) {
                double[] shape = blob(rng, s);
                for (int ch = 0; ch < c; ch++) {
                    double sign = rng.sign();
                    for (int r = 0; r < s; r++) {
                        for (int q = 0; q < s; q++) {
                            delta[(ch * h + vh + r) * w + vw + q] += shape[r * s + q] * sign;
                        }
                    }
                }
            }
        }
        scaleInto(delta, x0, o, eps, out);
    }

    /** out = clip(x0 + eps * delta / ||delta||). */
    private static void scaleInto(double[] delta, float[] x0, int o, double eps, float[] out) {
        double n = 0;
        for (double v : delta) {
            n += v * v;
        }
        double f = eps / (Math.sqrt(n) + 1e-12);
        for (int j = 0; j < delta.length; j++) {
            out[o + j] = Norm.clip01((float) (x0[o + j] + delta[j] * f));
        }
    }

    private static void l2Update(SampleRng rng, float[] x0, float[] best, int o, int c, int h, int w, double eps,
                                 double p, float[] out) {
        int d = c * h * w;
        int s = side(p, d, c, h, w, 3);
        int vh = rng.between(0, h - s);
        int vw = rng.between(0, w - s);
        int vh2 = rng.between(0, h - s);
        int vw2 = rng.between(0, w - s);
        double[] delta = new double[d];
        double imageNorm = 0;
        for (int j = 0; j < d; j++) {
            delta[j] = (double) best[o + j] - x0[o + j];
            imageNorm += delta[j] * delta[j];
        }
        double room = Math.max(eps * eps - imageNorm, 0) / c;
        double[] shape = blob(rng, s);
        double[] fresh = new double[c * s * s];
        for (int ch = 0; ch < c; ch++) {
            double window1 = 0;  // the perturbation's norm inside window 1, this channel
            double windows = 0;  // ... inside the union of both windows
            for (int r = 0; r < h; r++) {
                for (int q = 0; q < w; q++) {
                    boolean in1 = r >= vh && r < vh + s && q >= vw && q < vw + s;
                    boolean in2 = r >= vh2 && r < vh2 + s && q >= vw2 && q < vw2 + s;
                    double v = delta[(ch * h + r) * w + q];
                    if (in1) {
                        window1 += v * v;
                    }
                    if (in1 || in2) {
                        windows += v * v;
                    }
                }
            }
            window1 = Math.sqrt(window1);
            double sign = rng.sign();
            double size = 0;
            for (int r = 0; r < s; r++) {
                for (int q = 0; q < s; q++) {
                    double v = shape[r * s + q] * sign + delta[(ch * h + vh + r) * w + vw + q] / (1e-12 + window1);
                    fresh[(ch * s + r) * s + q] = v;
                    size += v * v;
                }
            }
            double target = Math.sqrt(room + windows) / (1e-12 + Math.sqrt(size));
            for (int i = ch * s * s; i < (ch + 1) * s * s; i++) {
                fresh[i] *= target;
            }
        }
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < s; r++) {
                for (int q = 0; q < s; q++) {
                    delta[(ch * h + vh2 + r) * w + vw2 + q] = 0;
                }
            }
            for (int r = 0; r < s; r++) {
                for (int q = 0; q < s; q++) {
                    delta[(ch * h + vh + r) * w + vw + q] = fresh[(ch * s + r) * s + q];
                }
            }
        }
        scaleInto(delta, x0, o, eps, out);
    }
}

package dev.nrpm.attack;

import dev.nrpm.error.InvalidSettingException;
import java.util.Locale;

/**
 * The norm of a threat model: the ball a perturbation stays in, always intersected with the [0, 1]
 * pixel box. Host-side geometry on one sample's values at [off, off + len) of flat arrays, in the
 * form AutoAttack uses (project onto the ball, then clip to the box).
 */
public enum Norm {
    LINF("linf", "L-inf"),
    L2("l2", "L2");

    private final String cliName;
    private final String title;

    Norm(String cliName, String title) {
        this.cliName = cliName;
        this.title = title;
    }

    /** "linf" or "l2", as --norm takes it. */
    public String cliName() {
        return cliName;
    }

    /** "L-inf" or "L2", for tables and plots. */
    public String title() {
        return title;
    }

    public static Norm parse(String text) {
        String t = text == null ? "" : text.toLowerCase(Locale.ROOT).trim();
        switch (t) {
            case "linf":
            case "l-inf":
            case "inf":
                return LINF;
            case "l2":
                return L2;
            default:
                throw new InvalidSettingException("--norm must be linf or l2, got '" + text + "'");
        }
    }

    /** ||d||, d = a - b over one sample, in float64. */
    public double distance(float[] a, float[] b, int off, int len) {
        double acc = 0;
        for (int i = off; i < off + len; i++) {
            double d = (double) a[i] - b[i];
            if (this == LINF) {
                acc = Math.max(acc, Math.abs(d));
            } else {
                acc += d * d;
            }
        }
        return this == LINF ? acc : Math.sqrt(acc);
    }

    /** ||v|| of one sample's values. */
    public double size(float[] v, int off, int len) {
        double acc = 0;
        for (int i = off; i < off + len; i++) {
            acc = this == LINF ? Math.max(acc, Math.abs(v[i])) : acc + (double) v[i] * v[i];
        }
        return this == LINF ? acc : Math.sqrt(acc);
    }

    /**
     * Writes into out the point x0 + d, with d = p - x0 brought back into the ball of radius eps
     * (L-inf: clipped per pixel; L2: scaled down to norm eps), then clipped to [0, 1].
     */
    public void project(float[] p, float[] x0, int off, int len, double eps, float[] out) {
        if (this == LINF) {
            float e = (float) eps;
            for (int i = off; i < off + len; i++) {
                float lo = x0[i] - e;
                float hi = x0[i] + e;
                out[i] = clip01(Math.min(Math.max(p[i], lo), hi));
            }
            return;
        }
        double norm = distance(p, x0, off, len);
        double scale = norm > eps ? eps / (norm + 1e-12) : 1.0;
        for (int i = off; i < off + len; i++) {
            out[i] = clip01((float) (x0[i] + ((double) p[i] - x0[i]) * scale));
        }
    }

    /**
     * The steepest-ascent direction of this norm for gradient g (L-inf: sign(g); L2: g / ||g||),
     * written into out. A zero (or non-finite) gradient gives a zero direction.
     */
    public void direction(float[] g, int off, int len, float[] out) {
        if (this == LINF) {
            for (int i = off; i < off + len; i++) {
                out[i] = Math.signum(g[i]);
            }
            return;
        }
        double n = size(g, off, len);
        double inv = n > 0 && Double.isFinite(n) ? 1.0 / (n + 1e-12) : 0;
        for (int i = off; i < off + len; i++) {
            out[i] = (float) (g[i] * inv);
        }
    }

    /** Whether adv lies in the eps-ball around x0 (float rounding allowed) and in [0, 1]. */
    public boolean contains(float[] adv, float[] x0, int off, int len, double eps) {
        for (int i = off; i < off + len; i++) {
            if (!(adv[i] >= 0f && adv[i] <= 1f)) {
                return false;
            }
        }
        return distance(adv, x0, off, len) <= eps * (1 + 1e-5) + 1e-6;
    }

    static float clip01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }
}

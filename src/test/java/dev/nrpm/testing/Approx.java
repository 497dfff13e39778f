package dev.nrpm.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-by-element comparison |got - want| <= atol + rtol * |want|, NaN never passes. */
public final class Approx {
    private Approx() {
    }

    public static void assertClose(String what, double[] want, double[] got, double atol, double rtol) {
        if (want.length != got.length) {
            fail(what + ": length " + got.length + ", expected " + want.length);
        }
        int bad = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            boolean ok = !Double.isNaN(got[i]) && err <= atol + rtol * Math.abs(want[i]);
            if (!ok) {
                bad++;
                if (first < 0) {
                    first = i;
                }
                worst = Math.max(worst, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + want.length + " elements differ (atol " + atol + ", rtol " + rtol
                    + "); first at " + first + ": got " + got[first] + ", want " + want[first] + "; worst error " + worst);
        }
    }

    public static void assertClose(String what, float[] want, float[] got, double atol, double rtol) {
        assertClose(what, toDouble(want), toDouble(got), atol, rtol);
    }

    public static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    public static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}

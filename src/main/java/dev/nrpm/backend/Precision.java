package dev.nrpm.backend;

/** Conversions between the float64 values callers may hold and the float32 storage of fast backends. */
public final class Precision {
    private Precision() {
    }

    /** Rounds each value to float32. */
    public static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** Widens each value to float64 (exactly). */
    public static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}

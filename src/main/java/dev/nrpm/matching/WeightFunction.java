package dev.nrpm.matching;

/**
 * How NRPM reweights a term from its residual r = t - z/D (NRPM.md section 2), with a = |r| + eps:
 * <ul>
 *   <li>L1: w = 1/a</li>
 *   <li>HUBER(delta): w = min(1, delta/a)</li>
 *   <li>MCP(gamma): w = max(eps, 1/a - 1/gamma)</li>
 *   <li>HM(gamma, delta): w = clamp(delta/(gamma-delta) * (gamma/a - 1), eps, 1)</li>
 * </ul>
 * Every weight is positive, so the reweighted mean is always defined. The float64 methods here are
 * the reference definitions; fast kernels inline their own float32 copies and are tested against these.
 */
public enum WeightFunction {
    L1(0), HUBER(1), MCP(2), HM(3);

    private final int code;

    WeightFunction(int code) {
        this.code = code;
    }

    /**
     * The function's code in kernel parameters (NrpmParams.fn): the NRPM_WF_* constants of
     * kernels/common.cuh, which trap on any other code. Explicit, never the ordinal, so that
     * reordering or adding a constant cannot silently run another function on the GPU
     * (WeightFunctionCodesTest checks both sides agree).
     */
    public int code() {
        return code;
    }

    /** The weight w(r), float64 reference. */
    public double weight(double r, double eps, double gamma, double delta) {
        double a = Math.abs(r) + eps;
        switch (this) {
            case L1:
                return 1.0 / a;
            case HUBER:
                return Math.min(1.0, delta / a);
            case MCP:
                return Math.max(eps, 1.0 / a - 1.0 / gamma);
            case HM:
                return Math.min(1.0, Math.max(eps, delta / (gamma - delta) * (gamma / a - 1.0)));
            default:
                throw new AssertionError(this);
        }
    }

    /** dw/dr, float64 reference; zero where a clamp is active (and at r = 0, the subgradient 0). */
    public double derivative(double r, double eps, double gamma, double delta) {
        double a = Math.abs(r) + eps;
        double s = Math.signum(r);
        switch (this) {
            case L1:
                return -s / (a * a);
            case HUBER:
                return delta / a < 1.0 ? -s * delta / (a * a) : 0.0;
            case MCP:
                return 1.0 / a - 1.0 / gamma > eps ? -s / (a * a) : 0.0;
            case HM: {
                double c = delta / (gamma - delta);
                double v = c * (gamma / a - 1.0);
                return v > eps && v < 1.0 ? -s * c * gamma / (a * a) : 0.0;
            }
            default:
                throw new AssertionError(this);
        }
    }

    /** Parses l1, huber, mcp, hm (any case). */
    public static WeightFunction parse(String name) {
        for (WeightFunction f : values()) {
            if (f.name().equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown weight function '" + name + "' (expected l1, huber, mcp or hm)");
    }
}

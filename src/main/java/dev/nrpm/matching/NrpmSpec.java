package dev.nrpm.matching;

import dev.nrpm.error.InvalidSettingException;

/**
 * What a kernel needs to know about one NRPM computation: K reweighting steps (0 = LPM), eps,
 * the weight function and its parameters (gamma for MCP and HM, delta for Huber and HM).
 *
 * <p>The backward pass keeps, per output, {@link #statePlanes()} values from the forward pass:
 * z(0..K), then S0(0..K-1) (the weight sums), then A(0..K-1) = sum_d dz(k+1)/dw_d * dw_d/dr_d,
 * stored plane by plane (plane j of N outputs at [j*N, (j+1)*N)).
 */
public record NrpmSpec(int k, float eps, WeightFunction function, float gamma, float delta) {
    /** Beyond this, K only costs time: the iteration has long converged. */
    public static final int MAX_K = 64;

    /**
     * The smallest eps: w' = -1/a^2 must be a float at r = 0 (a = eps), or the derivative overflows
     * and its r = 0 case becomes 0 * inf = NaN (WeightFunctionTableTest found it below 1e-19).
     */
    public static final float MIN_EPS = 1e-18f;

    public NrpmSpec {
        if (function == null) {
            throw new InvalidSettingException("NRPM weight function must be given");
        }
        if (k < 0 || k > MAX_K) {
            throw new InvalidSettingException("NRPM K must be in [0, " + MAX_K + "], got " + k);
        }
        if (!(eps >= MIN_EPS) || !Float.isFinite(eps)) {
            throw new InvalidSettingException("NRPM eps must be a finite number >= " + MIN_EPS
                    + " (1/eps^2 must fit in a float), got " + eps);
        }
        switch (function) {
            case HUBER:
                if (!(delta > 0) || !Float.isFinite(delta)) {
                    throw new InvalidSettingException("Huber delta must be a finite number > 0, got " + delta);
                }
                break;
            case MCP:
                if (!(gamma > 0) || !Float.isFinite(gamma)) {
                    throw new InvalidSettingException("MCP gamma must be a finite number > 0, got " + gamma);
                }
                break;
            case HM:
                if (!(delta > 0) || !(gamma > delta) || !Float.isFinite(gamma)) {
                    throw new InvalidSettingException("HM needs gamma > delta > 0, got gamma " + gamma + ", delta " + delta);
                }
                break;
            default:
                break;
        }
    }

    public static NrpmSpec l1(int k, float eps) {
        return new NrpmSpec(k, eps, WeightFunction.L1, PatternMatching.DEFAULT_GAMMA, PatternMatching.DEFAULT_DELTA);
    }

    public int statePlanes() {
        return 3 * k + 1;
    }

    public long stateLength(long outputs) {
        return statePlanes() * outputs;
    }
}

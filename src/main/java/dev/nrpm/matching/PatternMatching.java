package dev.nrpm.matching;

import dev.nrpm.error.InvalidSettingException;

/**
 * The pattern-matching setting of one dense or conv layer: LPM (K = 0), or NRPM with its kernel
 * parameters and how lambda is held. {@code lambda} is the fixed value, or the initial value of a
 * learnable one (for SIGMOID the raw parameter starts at logit(lambda)).
 */
public record PatternMatching(NrpmSpec spec, LambdaMode lambdaMode, float lambda) {
    public static final float DEFAULT_EPS = 1e-3f;
    /** Defaults of the public code's RobustSum module. */
    public static final float DEFAULT_GAMMA = 4.0f;
    public static final float DEFAULT_DELTA = 3.0f;

    private static final PatternMatching LPM =
            new PatternMatching(NrpmSpec.l1(0, DEFAULT_EPS), LambdaMode.FIXED, 1.0f);

    public PatternMatching {
        if (spec == null || lambdaMode == null) {
            throw new InvalidSettingException("pattern matching needs a spec and a lambda mode");
        }
        if (!Float.isFinite(lambda)) {
            throw new InvalidSettingException("lambda must be finite, got " + lambda);
        }
        if (lambdaMode == LambdaMode.FIXED && (lambda < 0 || lambda > 1)) {
            throw new InvalidSettingException("fixed lambda must be in [0, 1], got " + lambda);
        }
        if (lambdaMode == LambdaMode.SIGMOID && (lambda <= 0 || lambda >= 1)) {
            throw new InvalidSettingException("a sigmoid lambda starts strictly inside (0, 1), got " + lambda);
        }
    }

    /** Plain linear pattern matching, the original layer. */
    public static PatternMatching lpm() {
        return LPM;
    }

    /** NRPM with the L1 weight function and a fixed lambda. */
    public static PatternMatching nrpm(int k, float eps, float lambda) {
        return new PatternMatching(NrpmSpec.l1(k, eps), LambdaMode.FIXED, lambda);
    }

    public boolean isLpm() {
        return spec.k() == 0;
    }

    public PatternMatching withLambda(LambdaMode mode, float value) {
        return new PatternMatching(spec, mode, value);
    }

    public PatternMatching withSpec(NrpmSpec newSpec) {
        return new PatternMatching(newSpec, lambdaMode, lambda);
    }

    @Override
    public String toString() {
        if (isLpm()) {
            return "LPM";
        }
        String fn = spec.function().name();
        switch (spec.function()) {
            case HUBER:
                fn += "(delta=" + spec.delta() + ")";
                break;
            case MCP:
                fn += "(gamma=" + spec.gamma() + ")";
                break;
            case HM:
                fn += "(gamma=" + spec.gamma() + ", delta=" + spec.delta() + ")";
                break;
            default:
                break;
        }
        return "NRPM(K=" + spec.k() + ", eps=" + spec.eps() + ", " + fn + ", lambda "
                + lambdaMode.name().toLowerCase() + " " + lambda + ")";
    }
}

package dev.nrpm.nn;

import dev.nrpm.backend.Backend;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;

/**
 * A layer whose output units are pattern matchers (dense or conv): LPM by default, switchable to
 * NRPM. A learnable lambda is the parameter "lambda" (for SIGMOID mode it holds the raw value and
 * the layer uses sigmoid(raw)); a fixed lambda is a constant, not a parameter.
 */
public abstract class MatchingLayer extends Module {
    private PatternMatching pm = PatternMatching.lpm();
    private Tensor fixedLambda;
    private PatternMatching override;
    private Tensor overrideLambda;

    protected abstract Backend backend();

    public PatternMatching patternMatching() {
        return pm;
    }

    /** Switches this layer's pattern matching; a learnable lambda starts at the setting's value. */
    public void setPatternMatching(PatternMatching setting) {
        if (fixedLambda != null) {
            fixedLambda.close();
            fixedLambda = null;
        }
        removeParameter("lambda");
        if (setting.lambdaMode() == LambdaMode.FIXED) {
            fixedLambda = owned(Tensor.scalar(backend(), setting.lambda()));
        } else {
            float initial = setting.lambdaMode() == LambdaMode.SIGMOID
                    ? (float) Math.log(setting.lambda() / (1.0 - setting.lambda()))
                    : setting.lambda();
            addParameter("lambda", Tensor.scalar(backend(), initial));
        }
        pm = setting;
    }

    /** The lambda the layer uses now (sigmoid applied for SIGMOID mode). */
    public float lambdaValue() {
        switch (pm.lambdaMode()) {
            case FIXED:
                return pm.lambda();
            case LEARNABLE:
                return param("lambda").item();
            default:
                return (float) (1.0 / (1.0 + Math.exp(-param("lambda").item())));
        }
    }

    /**
     * Runs the forward pass with another setting (fixed lambda) until {@link #clearOverride()}, leaving
     * the configured setting, its parameters and {@link #patternMatching()} as they are: adaptive
     * attacks take gradients through such surrogates of the same weights.
     */
    public void setOverride(PatternMatching setting) {
        if (setting.lambdaMode() != LambdaMode.FIXED) {
            throw new IllegalArgumentException("a surrogate setting has a fixed lambda, got " + setting);
        }
        clearOverride();
        overrideLambda = Tensor.scalar(backend(), setting.lambda());
        override = setting;
    }

    public void clearOverride() {
        if (overrideLambda != null) {
            overrideLambda.close();
            overrideLambda = null;
        }
        override = null;
    }

    /** The setting the forward pass uses: the override while one is set, else the configured one. */
    protected PatternMatching activePatternMatching() {
        return override != null ? override : pm;
    }

    /** Lambda as a one-element tensor in the graph, so a learnable one receives its gradient. */
    protected Tensor lambdaTensor() {
        if (override != null) {
            return overrideLambda;
        }
        switch (pm.lambdaMode()) {
            case FIXED:
                return fixedLambda;
            case LEARNABLE:
                return param("lambda");
            default:
                return Ops.sigmoid(param("lambda"));
        }
    }

    @Override
    protected void onMoved(Backend target) {
        if (fixedLambda != null) {
            fixedLambda.close();
            fixedLambda = owned(Tensor.scalar(target, pm.lambda()));
        }
    }

    @Override
    protected void onClose() {
        if (fixedLambda != null) {
            fixedLambda.close();
            fixedLambda = null;
        }
    }
}

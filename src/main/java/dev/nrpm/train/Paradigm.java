package dev.nrpm.train;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The three ways of reprogramming a trained model (NRPM.md section 3):
 * 1 fixed lambda, no training; 2 weights frozen, lambdas trained (as sigmoid(raw), like the
 * public code); 3 weights and lambdas trained (lambda used as it is).
 */
public enum Paradigm {
    FIXED_LAMBDA(1, LambdaMode.FIXED),
    TRAIN_LAMBDA(2, LambdaMode.SIGMOID),
    TRAIN_ALL(3, LambdaMode.LEARNABLE);

    private final int number;
    private final LambdaMode lambdaMode;

    Paradigm(int number, LambdaMode lambdaMode) {
        this.number = number;
        this.lambdaMode = lambdaMode;
    }

    public int number() {
        return number;
    }

    public LambdaMode lambdaMode() {
        return lambdaMode;
    }

    public boolean trains() {
        return this != FIXED_LAMBDA;
    }

    public static Paradigm of(int number) {
        for (Paradigm p : values()) {
            if (p.number == number) {
                return p;
            }
        }
        throw new InvalidSettingException("paradigm must be 1, 2 or 3, got " + number);
    }

    /**
     * Switches the selected layers to NRPM with this paradigm's lambda mode and sets which
     * parameters train: none (1), only the lambdas (2), all (3). Returns the NRPM layers' paths.
     */
    public List<String> apply(Module model, List<String> layerGlobs, NrpmSpec spec, float[] lambdas) {
        List<String> layers = PatternMatchingSwitch.configure(model, layerGlobs, spec, lambdaMode, lambdas);
        model.setRequiresGrad(this == TRAIN_ALL);
        if (this == TRAIN_LAMBDA) {
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                if (e.getKey().endsWith(".lambda")) {
                    e.getValue().requiresGrad(true);
                }
            }
        }
        return layers;
    }
}

package dev.nrpm.matching;

/** How a layer's lambda (the LPM share of y = lambda*z_LPM + (1-lambda)*z_NRPM) is held. */
public enum LambdaMode {
    /** A fixed hyperparameter in [0, 1] (paradigm 1). */
    FIXED,
    /** A trainable parameter used as it is (the public code's default for paradigm 3). */
    LEARNABLE,
    /** A trainable raw parameter, lambda = sigmoid(raw) (the public code's paradigm 2). */
    SIGMOID;

    public static LambdaMode parse(String name) {
        for (LambdaMode m : values()) {
            if (m.name().equalsIgnoreCase(name.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown lambda mode '" + name + "' (expected fixed, learnable or sigmoid)");
    }
}

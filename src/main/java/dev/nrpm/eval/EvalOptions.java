package dev.nrpm.eval;

/**
 * How an evaluation runs.
 *
 * @param batchSize       samples per model call
 * @param seed            the evaluation's seed; each budget's draws derive from it and the budget
 * @param probes          run the masking probes (a shorter attack, a large budget) on up to
 *                        {@link #PROBE_SAMPLES} samples
 * @param keepAdversarial keep the adversarial images in the result (for --save-adversarial)
 */
public record EvalOptions(int batchSize, long seed, boolean probes, boolean keepAdversarial)
        implements java.io.Serializable {
    public static final int PROBE_SAMPLES = 100;

    public static EvalOptions of(int batchSize, long seed) {
        return new EvalOptions(batchSize, seed, false, false);
    }

    public EvalOptions withProbes(boolean on) {
        return new EvalOptions(batchSize, seed, on, keepAdversarial);
    }

    public EvalOptions keepingAdversarial(boolean on) {
        return new EvalOptions(batchSize, seed, probes, on);
    }
}

package dev.nrpm.io.checkpoint;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.matching.PatternMatching;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What {@link StateDictLoader} did: the model entries it overwrote, the checkpoint keys it skipped
 * (and why), and the per-layer lambdas it found. Lambdas are reported rather than applied because
 * a lambda only means something together with an NRPM setting (K, eps, weight function), which
 * the PyTorch file does not record; {@link #applyLambdas} combines the two.
 */
public final class LoadReport {
    private final String source;
    private final boolean strippedModulePrefix;
    private final List<String> loaded;
    private final Map<String, String> ignored;
    private final Map<String, Float> lambdas;

    LoadReport(String source, boolean strippedModulePrefix, List<String> loaded, Map<String, String> ignored,
               Map<String, Float> lambdas) {
        this.source = source;
        this.strippedModulePrefix = strippedModulePrefix;
        this.loaded = Collections.unmodifiableList(loaded);
        this.ignored = Collections.unmodifiableMap(ignored);
        this.lambdas = Collections.unmodifiableMap(lambdas);
    }

    public String source() {
        return source;
    }

    /** True when the checkpoint's keys carried DataParallel's "module." prefix. */
    public boolean strippedModulePrefix() {
        return strippedModulePrefix;
    }

    /** Model state entries that were overwritten, in model order. */
    public List<String> loaded() {
        return loaded;
    }

    /** Checkpoint keys (as in the file) that were deliberately not loaded, with the reason. */
    public Map<String, String> ignored() {
        return ignored;
    }

    /** Lambda per dense/conv layer path, from "<layer>.robust_sum.lmbd" or ".beta", in file order. */
    public Map<String, Float> lambdas() {
        return lambdas;
    }

    /**
     * Switches every layer that has a lambda in the checkpoint to the given NRPM setting with that
     * lambda (same lambda mode as the setting); returns the paths switched.
     *
     * @throws InvalidSettingException when a value is outside what the mode accepts (a fixed lambda
     *         must be in [0, 1], a sigmoid one strictly inside)
     */
    public List<String> applyLambdas(Module model, PatternMatching nrpm) {
        Map<String, Module> modules = model.namedModules();
        for (Map.Entry<String, Float> e : lambdas.entrySet()) {
            Module m = modules.get(e.getKey());
            if (!(m instanceof MatchingLayer)) {
                throw new InvalidSettingException("layer '" + e.getKey() + "' of " + source
                        + " is not a dense or conv layer of this model");
            }
            PatternMatching setting;
            try {
                setting = nrpm.withLambda(nrpm.lambdaMode(), e.getValue());
            } catch (InvalidSettingException ex) {
                throw new InvalidSettingException("layer '" + e.getKey() + "': " + ex.getMessage());
            }
            ((MatchingLayer) m).setPatternMatching(setting);
        }
        return List.copyOf(lambdas.keySet());
    }

    @Override
    public String toString() {
        return "LoadReport(" + source + ": " + loaded.size() + " loaded, " + ignored.size() + " ignored, "
                + lambdas.size() + " lambdas" + (strippedModulePrefix ? ", 'module.' stripped" : "") + ")";
    }
}

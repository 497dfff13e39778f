package dev.nrpm.nn;

import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A differently configured copy of a model's NRPM layers that shares every weight: while
 * {@link #activate() active}, each NRPM layer computes with the surrogate's setting instead of its
 * own (at its current lambda); LPM layers are left alone. Adaptive attacks take gradients through
 * surrogates whose gradients are smoother than NRPM's, and score the result on the real model.
 */
public final class Surrogate {
    private final String name;
    private final Map<MatchingLayer, PatternMatching> settings;

    private Surrogate(String name, Map<MatchingLayer, PatternMatching> settings) {
        this.name = name;
        this.settings = settings;
    }

    /** Every NRPM layer as its plain LPM sum (lambda = 1): the original network. */
    public static Surrogate lpm(Module model) {
        Map<MatchingLayer, PatternMatching> out = new LinkedHashMap<>();
        for (MatchingLayer layer : PatternMatchingSwitch.layers(model).values()) {
            if (!layer.patternMatching().isLpm()) {
                out.put(layer, PatternMatching.lpm());
            }
        }
        return new Surrogate("lpm", out);
    }

    /** Every NRPM layer with eps raised to at least {@code eps} (weights 1/(|r| + eps) flatten out), same K, function and lambda. */
    public static Surrogate smoothNrpm(Module model, float eps) {
        Map<MatchingLayer, PatternMatching> out = new LinkedHashMap<>();
        for (MatchingLayer layer : PatternMatchingSwitch.layers(model).values()) {
            PatternMatching pm = layer.patternMatching();
            if (!pm.isLpm()) {
                NrpmSpec s = pm.spec();
                NrpmSpec smooth = new NrpmSpec(s.k(), Math.max(eps, s.eps()), s.function(), s.gamma(), s.delta());
                out.put(layer, new PatternMatching(smooth, LambdaMode.FIXED, layer.lambdaValue()));
            }
        }
        return new Surrogate("nrpm eps>=" + eps, out);
    }

    public String name() {
        return name;
    }

    /** False when the model has no NRPM layer: the surrogate would be the model itself. */
    public boolean changesAnything() {
        return !settings.isEmpty();
    }

    /** Switches the layers to the surrogate until the returned handle is closed. */
    public Active activate() {
        for (Map.Entry<MatchingLayer, PatternMatching> e : settings.entrySet()) {
            e.getKey().setOverride(e.getValue());
        }
        return new Active();
    }

    /** The surrogate while it is switched on; close() switches the real setting back. */
    public final class Active implements AutoCloseable {
        private Active() {
        }

        @Override
        public void close() {
            for (MatchingLayer layer : settings.keySet()) {
                layer.clearOverride();
            }
        }
    }
}

package dev.nrpm.nn;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Model-wide switching of pattern matching: every dense/conv layer whose dotted path matches one
 * of the glob patterns ('*' any run of characters, '?' one character; "*" = every layer) gets the
 * given setting.
 */
public final class PatternMatchingSwitch {
    private PatternMatchingSwitch() {
    }

    /** The matching layers of a model in model order, keyed by path. */
    public static Map<String, MatchingLayer> layers(Module model) {
        Map<String, MatchingLayer> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof MatchingLayer) {
                out.put(e.getKey(), (MatchingLayer) e.getValue());
            }
        }
        return out;
    }

    /**
     * Applies the setting to every matching layer selected by the globs; returns their paths.
     *
     * @throws InvalidSettingException when a glob selects no layer (a typo should not pass silently)
     */
    public static List<String> apply(Module model, List<String> globs, PatternMatching setting) {
        Map<String, MatchingLayer> all = layers(model);
        List<String> chosen = select(all, globs);
        for (String path : chosen) {
            all.get(path).setPatternMatching(setting);
        }
        return chosen;
    }

    /**
     * Builds and applies one setting per selected layer: the same NRPM parameters everywhere, and
     * either one lambda for all layers or one per selected layer in model order. A setting that is
     * invalid for a layer (a lambda outside [0, 1], say) is reported with that layer's path, and
     * nothing is changed unless every layer's setting is valid.
     */
    public static List<String> configure(Module model, List<String> globs, NrpmSpec spec, LambdaMode mode,
                                         float[] lambdas) {
        Map<String, MatchingLayer> all = layers(model);
        List<String> chosen = select(all, globs);
        if (lambdas.length != 1 && lambdas.length != chosen.size()) {
            throw new InvalidSettingException(lambdas.length + " lambda values for " + chosen.size()
                    + " NRPM layers (" + String.join(", ", chosen) + "): give one value, or one per layer");
        }
        List<PatternMatching> settings = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            float lambda = lambdas[lambdas.length == 1 ? 0 : i];
            try {
                settings.add(new PatternMatching(spec, mode, lambda));
            } catch (InvalidSettingException e) {
                throw new InvalidSettingException("layer " + chosen.get(i) + ": " + e.getMessage());
            }
        }
        for (int i = 0; i < chosen.size(); i++) {
            all.get(chosen.get(i)).setPatternMatching(settings.get(i));
        }
        return chosen;
    }

    /** The paths selected by the globs, in model order. */
    public static List<String> select(Map<String, MatchingLayer> all, List<String> globs) {
        List<String> chosen = new ArrayList<>();
        for (String glob : globs) {
            Pattern p = compile(glob.trim());
            boolean any = false;
            for (String path : all.keySet()) {
                if (p.matcher(path).matches()) {
                    any = true;
                    if (!chosen.contains(path)) {
                        chosen.add(path);
                    }
                }
            }
            if (!any) {
                throw new InvalidSettingException("layer pattern '" + glob + "' matches no dense or conv layer"
                        + " (layers: " + String.join(", ", all.keySet()) + ")");
            }
        }
        List<String> ordered = new ArrayList<>();
        for (String path : all.keySet()) {
            if (chosen.contains(path)) {
                ordered.add(path);
            }
        }
        return ordered;
    }

    private static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}

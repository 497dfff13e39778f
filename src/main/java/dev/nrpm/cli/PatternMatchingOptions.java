package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.matching.WeightFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** --pm and the NRPM settings: which layers, K, eps, lambda(s), weight function. */
final class PatternMatchingOptions implements java.io.Serializable {
    /** Lambda for an NRPM layer when neither --lambda nor the weights file gives one. */
    static final float DEFAULT_LAMBDA = 0.5f;

    @Option(names = "--pm", defaultValue = "saved", paramLabel = "lpm|nrpm|saved",
            description = "Pattern matching: lpm everywhere, nrpm in the --layers, or as saved in the weights"
                    + " (LPM for PyTorch files). Default: ${DEFAULT-VALUE}.")
    String pm;

    @Option(names = {"--K", "-K"}, defaultValue = "3", paramLabel = "N", description = "NRPM reweighting steps. Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = "--eps", defaultValue = "1e-3", paramLabel = "X", description = "NRPM eps. Default: ${DEFAULT-VALUE}.")
    float eps;

    @Option(names = "--lambda", split = ",", paramLabel = "X[,X...]",
            description = "LPM share per NRPM layer: one value for all, or one per layer in model order."
                    + " Default: the weights file's lambdas, else " + DEFAULT_LAMBDA + ".")
    float[] lambda;

    @Option(names = "--weight", defaultValue = "l1", paramLabel = "l1|huber|mcp|hm",
            description = "NRPM weight function. Default: ${DEFAULT-VALUE}.")
    String weight;

    @Option(names = "--gamma", defaultValue = "4", paramLabel = "X", description = "MCP/HM gamma. Default: ${DEFAULT-VALUE}.")
    float gamma;

    @Option(names = "--delta", defaultValue = "3", paramLabel = "X", description = "Huber/HM delta. Default: ${DEFAULT-VALUE}.")
    float delta;

    @Option(names = "--layers", split = ",", defaultValue = "*", paramLabel = "GLOB,...",
            description = "Dense/conv layers to switch to NRPM, by dotted name ('*' any run of characters)."
                    + " Default: ${DEFAULT-VALUE}.")
    List<String> layers;

    /** Refuses NRPM options given on the command line where no layer is NRPM (--pm lpm). */
    void checkRelevant(picocli.CommandLine.ParseResult given) {
        if (!mode().equals("lpm")) {
            return;
        }
        for (String option : new String[] {"--K", "--eps", "--lambda", "--weight", "--gamma", "--delta", "--layers"}) {
            if (given.hasMatchedOption(option)) {
                throw new InvalidSettingException(option + " has no effect with --pm lpm (every layer LPM); use --pm nrpm");
            }
        }
    }

    String mode() {
        String m = pm.toLowerCase(Locale.ROOT).trim();
        if (!m.equals("lpm") && !m.equals("nrpm") && !m.equals("saved")) {
            throw new InvalidSettingException("--pm must be lpm, nrpm or saved, got '" + pm + "'");
        }
        return m;
    }

    NrpmSpec spec() {
        try {
            return new NrpmSpec(k, eps, WeightFunction.parse(weight), gamma, delta);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage());
        }
    }

    /**
     * Applies the chosen pattern matching to the model; lambdaMode is FIXED for evaluation and the
     * paradigm's mode for reprogramming. savedLambdas: per-layer lambdas from the weights file.
     *
     * @return a description for reports: label and plain values
     */
    Applied apply(Module model, Map<String, Float> savedLambdas, LambdaMode lambdaMode) {
        String m = mode();
        if (m.equals("lpm")) {
            PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.lpm());
        } else if (m.equals("nrpm")) {
            Map<String, MatchingLayer> all = PatternMatchingSwitch.layers(model);
            List<String> chosen = PatternMatchingSwitch.select(all, layers);
            float[] values = lambda;
            if (values == null) {
                values = new float[chosen.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = savedLambdas.getOrDefault(chosen.get(i), DEFAULT_LAMBDA);
                }
            }
            PatternMatchingSwitch.configure(model, layers, spec(), lambdaMode, values);
        }
        return describe(model);
    }

    /** The model's current pattern matching as a report label and plain values. */
    static Applied describe(Module model) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> nrpmLayers = new ArrayList<>();
        List<Float> lambdas = new ArrayList<>();
        PatternMatching first = null;
        for (Map.Entry<String, MatchingLayer> e : PatternMatchingSwitch.layers(model).entrySet()) {
            PatternMatching p = e.getValue().patternMatching();
            if (!p.isLpm()) {
                nrpmLayers.add(e.getKey());
                lambdas.add(e.getValue().lambdaValue());
                if (first == null) {
                    first = p;
                }
            }
        }
        if (first == null) {
            out.put("mode", "lpm");
            return new Applied("LPM", out);
        }
        NrpmSpec s = first.spec();
        out.put("mode", "nrpm");
        out.put("K", s.k());
        out.put("eps", (double) s.eps());
        out.put("weight", s.function().name().toLowerCase(Locale.ROOT));
        if (s.function() == WeightFunction.MCP || s.function() == WeightFunction.HM) {
            out.put("gamma", (double) s.gamma());
        }
        if (s.function() == WeightFunction.HUBER || s.function() == WeightFunction.HM) {
            out.put("delta", (double) s.delta());
        }
        out.put("lambda_mode", first.lambdaMode().name().toLowerCase(Locale.ROOT));
        out.put("layers", nrpmLayers);
        List<Double> lam = new ArrayList<>();
        for (float f : lambdas) {
            lam.add((double) f);
        }
        out.put("lambda", lam);
        boolean same = lambdas.stream().allMatch(v -> v.equals(lambdas.get(0)));
        String label = "NRPM K=" + s.k() + " " + s.function().name().toLowerCase(Locale.ROOT)
                + (same ? " lambda=" + fmt(lambdas.get(0)) : " lambda per layer")
                + (nrpmLayers.size() < PatternMatchingSwitch.layers(model).size() ? " (" + nrpmLayers.size() + " layers)" : "");
        return new Applied(label, out);
    }

    private static String fmt(float v) {
        return v == Math.rint(v) ? String.valueOf((int) v) : String.format(Locale.ROOT, "%.3g", v);
    }

    /** A configuration's label and its settings as plain values. */
    record Applied(String label, Map<String, Object> values) {
    }
}

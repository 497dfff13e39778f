package dev.nrpm.io.checkpoint;

import dev.nrpm.io.torch.TorchCheckpoint;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.HostTensor;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts a state dict into a module, all or nothing: every key is checked (name, shape, dtype)
 * before the first value is written, so a mismatch never leaves a half-loaded model.
 *
 * <p>{@link #loadPyTorch} applies the conventions of PyTorch files and of the NRPM paper's code:
 * <ul>
 *   <li>a "module." prefix (saved from nn.DataParallel) is stripped;</li>
 *   <li>"&lt;layer&gt;.robust_sum.lmbd" and ".robust_sum.beta" are that dense/conv layer's lambda:
 *       reported in {@link LoadReport#lambdas()}, applied with {@link LoadReport#applyLambdas};</li>
 *   <li>"*.num_batches_tracked" (batch norm's step counter) is ignored;</li>
 *   <li>a model's own "&lt;layer&gt;.lambda" parameters (present when lambda is learnable) are not
 *       expected in the file, since the file holds lambdas as robust_sum entries.</li>
 * </ul>
 * Every other key must match a model entry of the same shape, and every model entry must be
 * present. {@link #loadExact} is the same check with none of the conventions (our own checkpoints).
 */
public final class StateDictLoader {
    static final String DATA_PARALLEL_PREFIX = "module.";
    private static final String[] LAMBDA_SUFFIXES = {".robust_sum.lmbd", ".robust_sum.beta"};
    private static final String BATCHES_TRACKED = ".num_batches_tracked";
    private static final String LAMBDA_PARAM = ".lambda";
    private static final int MAX_LISTED = 6;

    private StateDictLoader() {
    }

    /** {@link #loadPyTorch(Module, Map, String)} with the checkpoint's own state dict and file name. */
    public static LoadReport loadPyTorch(Module model, TorchCheckpoint checkpoint) {
        return loadPyTorch(model, checkpoint.stateDict(), checkpoint.file().toString());
    }

    /**
     * Loads a PyTorch state dict with the conventions above.
     *
     * @param source names the origin (a file) in messages and in the report
     * @throws CheckpointException naming the source, and for each problem (up to a few) the key and
     *         both shapes: missing key, unexpected key, shape or dtype mismatch, bad lambda entry
     */
    public static LoadReport loadPyTorch(Module model, Map<String, HostTensor> stateDict, String source) {
        boolean stripped = false;
        Map<String, String> fileKey = new LinkedHashMap<>();          // normalized key -> key in the file
        Map<String, HostTensor> entries = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : stateDict.entrySet()) {
            String key = e.getKey();
            String name = key;
            if (name.startsWith(DATA_PARALLEL_PREFIX)) {
                name = name.substring(DATA_PARALLEL_PREFIX.length());
                stripped = true;
            }
            if (fileKey.containsKey(name)) {
                problems.add("keys " + q(fileKey.get(name)) + " and " + q(key) + " both mean " + q(name));
                continue;
            }
            fileKey.put(name, key);
            entries.put(name, e.getValue());
        }

        Map<String, MatchingLayer> layers = PatternMatchingSwitch.layers(model);
        Map<String, String> ignored = new LinkedHashMap<>();
        Map<String, Float> lambdas = new LinkedHashMap<>();
        Map<String, HostTensor> regular = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : entries.entrySet()) {
            String name = e.getKey();
            String original = fileKey.get(name);
            if (name.endsWith(BATCHES_TRACKED)) {
                ignored.put(original, "batch norm step counter, not used by this engine");
                continue;
            }
            String layer = lambdaLayer(name);
            if (layer == null) {
                regular.put(name, e.getValue());
                continue;
            }
            HostTensor t = e.getValue();
            if (!layers.containsKey(layer)) {
                problems.add("unexpected key " + q(original) + ": no dense or conv layer " + q(layer)
                        + " in the model for its lambda");
            } else if (t.size() != 1 || !t.isFloatingPoint()) {
                problems.add("lambda " + q(original) + " should be one float, has " + t.dtype() + " shape "
                        + t.shapeString());
            } else if (lambdas.containsKey(layer)) {
                problems.add("two lambdas for layer " + q(layer) + " (robust_sum.lmbd and robust_sum.beta)");
            } else if (!Double.isFinite(t.item())) {
                problems.add("lambda " + q(original) + " is " + t.item());
            } else {
                lambdas.put(layer, (float) t.item());
            }
        }
        return load(model, regular, fileKey, source, stripped, ignored, lambdas, problems, layers.keySet());
    }

    /** Loads entries whose names are exactly the model's state names (our own checkpoints). */
    public static LoadReport loadExact(Module model, Map<String, HostTensor> state, String source) {
        Map<String, String> same = new LinkedHashMap<>();
        for (String k : state.keySet()) {
            same.put(k, k);
        }
        return load(model, state, same, source, false, new LinkedHashMap<>(), new LinkedHashMap<>(),
                new ArrayList<>(), List.of());
    }

    private static LoadReport load(Module model, Map<String, HostTensor> entries, Map<String, String> fileKey,
                                   String source, boolean stripped, Map<String, String> ignored,
                                   Map<String, Float> lambdas, List<String> problems,
                                   Collection<String> lambdaLayers) {
        Map<String, Tensor> target = model.stateDict();
        List<String> loaded = check(target, entries, fileKey, problems, lambdaLayers);
        if (!problems.isEmpty()) {
            throw mismatch(source, model, problems);
        }
        Map<String, double[]> values = new LinkedHashMap<>();
        for (String name : loaded) {
            double[] v = entries.get(name).toDoubleArray();
            values.put(name, v);
            checkValues(fileKey.getOrDefault(name, name), v, problems);
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(source, "unusable values: " + summary(problems));
        }
        for (String name : loaded) {
            Tensor t = target.get(name);
            try (Tensor src = Tensor.of(t.backend(), values.get(name), t.shape())) {
                t.assign(src);
            }
        }
        return new LoadReport(source, stripped, loaded, ignored, lambdas);
    }

    /**
     * Adds to problems every entry that does not fit the target (unknown name, other shape, not
     * floating point) and every target entry the entries lack, except the learnable lambdas of
     * the given layers; returns the target names that would be loaded, in target order.
     */
    static List<String> check(Map<String, Tensor> target, Map<String, HostTensor> entries, Map<String, String> fileKey,
                              List<String> problems, Collection<String> lambdaLayers) {
        for (Map.Entry<String, HostTensor> e : entries.entrySet()) {
            String name = e.getKey();
            String shown = q(fileKey.getOrDefault(name, name));
            HostTensor value = e.getValue();
            Tensor t = target.get(name);
            if (t == null) {
                problems.add("unexpected key " + shown + " (shape " + value.shapeString() + ", no such entry in the model)");
            } else if (!Arrays.equals(t.shape(), value.shape())) {
                problems.add(shown + " has shape " + value.shapeString() + " in the checkpoint but " + t.shapeString()
                        + " in the model");
            } else if (!value.isFloatingPoint()) {
                problems.add(shown + " is " + value.dtype() + " in the checkpoint, the model needs floating point values");
            }
        }
        List<String> loaded = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
            String name = e.getKey();
            if (entries.containsKey(name)) {
                loaded.add(name);
            } else if (!isLambdaParameter(name, lambdaLayers)) {
                problems.add("missing key " + q(name) + " (model shape " + e.getValue().shapeString() + ")");
            }
        }
        return loaded;
    }

    /**
     * NaN or infinite values make every result meaningless (an LPM model then prints chance
     * accuracy), and float64 values beyond float32's range would silently become infinite: both are
     * refused here, naming the tensor, rather than blamed later on a layer or an input.
     */
    static void checkValues(String key, double[] v, List<String> problems) {
        long bad = 0;
        long big = 0;
        for (double x : v) {
            if (!Double.isFinite(x)) {
                bad++;
            } else if (Math.abs(x) > Float.MAX_VALUE) {
                big++;
            }
        }
        if (bad > 0) {
            problems.add(q(key) + " holds " + bad + " NaN or infinite value(s) of " + v.length);
        }
        if (big > 0) {
            problems.add(q(key) + " holds " + big + " value(s) beyond float32's range (|x| > 3.4e38) of " + v.length
                    + ", which would become infinite");
        }
    }

    static CheckpointException mismatch(String source, Module model, List<String> problems) {
        return new CheckpointException(source, "state dict does not fit " + model.getClass().getSimpleName() + ": "
                + summary(problems));
    }

    /** The layer path of a robust_sum lambda key ("" for a model that is itself one layer), or null. */
    private static String lambdaLayer(String name) {
        for (String suffix : LAMBDA_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return name.substring(0, name.length() - suffix.length());
            }
            if (name.equals(suffix.substring(1))) {
                return "";
            }
        }
        return null;
    }

    /** A matching layer's learnable lambda: held as robust_sum.* in PyTorch files, so never required. */
    static boolean isLambdaParameter(String name, Collection<String> lambdaLayers) {
        if (name.equals(LAMBDA_PARAM.substring(1))) {
            return lambdaLayers.contains("");
        }
        if (!name.endsWith(LAMBDA_PARAM)) {
            return false;
        }
        return lambdaLayers.contains(name.substring(0, name.length() - LAMBDA_PARAM.length()));
    }

    private static String summary(List<String> problems) {
        List<String> shown = problems.subList(0, Math.min(MAX_LISTED, problems.size()));
        String s = String.join("; ", shown);
        if (problems.size() > shown.size()) {
            s += "; and " + (problems.size() - shown.size()) + " more";
        }
        return problems.size() + (problems.size() == 1 ? " problem: " : " problems: ") + s;
    }

    static String q(String s) {
        return CheckpointException.quote(s);
    }
}

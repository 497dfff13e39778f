package dev.nrpm.io.checkpoint;

import dev.nrpm.io.safetensors.SafetensorsContent;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.HostTensor;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.PatternMatching;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of our checkpoints, as written by {@link CheckpointWriter}: model state, optimizer state,
 * architecture, per-layer pattern-matching settings and extra metadata. {@link #restoreInto}
 * puts it back into a model built from {@link #architecture()}.
 */
public final class ModelCheckpoint {
    private final Path file;
    private final int formatVersion;
    private final JsonObject architecture;
    private final Map<String, PatternMatching> patternMatching;
    private final Map<String, HostTensor> modelState;
    private final Map<String, HostTensor> optimizerState;
    private final Map<String, String> metadata;

    private ModelCheckpoint(Path file, int formatVersion, JsonObject architecture,
                            Map<String, PatternMatching> patternMatching, Map<String, HostTensor> modelState,
                            Map<String, HostTensor> optimizerState, Map<String, String> metadata) {
        this.file = file;
        this.formatVersion = formatVersion;
        this.architecture = architecture;
        this.patternMatching = Collections.unmodifiableMap(patternMatching);
        this.modelState = Collections.unmodifiableMap(modelState);
        this.optimizerState = Collections.unmodifiableMap(optimizerState);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads and validates a checkpoint (the safetensors checks of {@link SafetensorsReader}, then
     * the format, its version and the JSON metadata).
     *
     * @throws CheckpointException naming the file and what is wrong
     */
    public static ModelCheckpoint read(Path file) {
        return read(file, (metadata, entries) -> { });
    }

    /**
     * As {@link #read(Path)}, with beforeData run on the header (after the format checks) before any
     * tensor data is read: a loader refuses a checkpoint of another model there.
     */
    public static ModelCheckpoint read(Path file, SafetensorsReader.HeaderCheck beforeData) {
        SafetensorsContent content = SafetensorsReader.read(file, (metadata, entries) -> {
            formatVersion(file, metadata);
            beforeData.check(metadata, entries);
        });
        Map<String, String> meta = content.metadata();
        int version = formatVersion(file, meta);
        JsonObject architecture = meta.containsKey(CheckpointWriter.KEY_ARCHITECTURE)
                ? object(file, CheckpointWriter.KEY_ARCHITECTURE, meta.get(CheckpointWriter.KEY_ARCHITECTURE))
                : new JsonObject();
        Map<String, PatternMatching> pm = new LinkedHashMap<>();
        if (meta.containsKey(CheckpointWriter.KEY_PATTERN_MATCHING)) {
            JsonObject settings = object(file, CheckpointWriter.KEY_PATTERN_MATCHING,
                    meta.get(CheckpointWriter.KEY_PATTERN_MATCHING));
            for (Map.Entry<String, JsonElement> e : settings.entrySet()) {
                try {
                    pm.put(e.getKey(), PatternMatchingJson.fromJson(e.getValue()));
                } catch (IllegalArgumentException | InvalidSettingException ex) {
                    throw new CheckpointException(file, "pattern_matching of layer " + CheckpointException.quote(e.getKey())
                            + ": " + ex.getMessage(), ex);
                }
            }
        }
        Map<String, HostTensor> model = new LinkedHashMap<>();
        Map<String, HostTensor> optimizer = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : content.tensors().entrySet()) {
            if (e.getKey().startsWith(CheckpointWriter.OPTIMIZER_PREFIX)) {
                optimizer.put(e.getKey().substring(CheckpointWriter.OPTIMIZER_PREFIX.length()), e.getValue());
            } else {
                model.put(e.getKey(), e.getValue());
            }
        }
        Map<String, String> extra = new LinkedHashMap<>(meta);
        extra.keySet().removeAll(CheckpointWriter.RESERVED);
        return new ModelCheckpoint(file, version, architecture, pm, model, optimizer, extra);
    }

    /** The format_version of an nrpm checkpoint's metadata; anything else is refused. */
    private static int formatVersion(Path file, Map<String, String> meta) {
        String format = meta.get(CheckpointWriter.KEY_FORMAT);
        if (!CheckpointWriter.FORMAT.equals(format)) {
            throw new CheckpointException(file, "not an nrpm checkpoint (metadata format is "
                    + (format == null ? "missing" : CheckpointException.quote(format))
                    + "); read plain safetensors files with SafetensorsReader");
        }
        int version;
        try {
            version = Integer.parseInt(String.valueOf(meta.get(CheckpointWriter.KEY_VERSION)));
        } catch (NumberFormatException e) {
            throw new CheckpointException(file, "format_version " + CheckpointException.quote(
                    meta.get(CheckpointWriter.KEY_VERSION)) + " is not a number");
        }
        if (version < 1 || version > CheckpointWriter.FORMAT_VERSION) {
            throw new CheckpointException(file, "format_version " + version + " is not readable by this build (reads 1 to "
                    + CheckpointWriter.FORMAT_VERSION + ")");
        }
        return version;
    }

    private static JsonObject object(Path file, String key, String json) {
        try {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(r);   // keeps STRICT (only LEGACY_STRICT is relaxed)
            if (!e.isJsonObject() || r.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new CheckpointException(file, "metadata " + key + " is not one JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | java.io.IOException e) {
            throw new CheckpointException(file, "metadata " + key + " is not valid JSON ("
                    + SafetensorsReader.jsonError(e) + ")", e);
        }
    }

    public Path file() {
        return file;
    }

    public int formatVersion() {
        return formatVersion;
    }

    /** The architecture JSON the writer was given (a copy), or an empty object when none was. */
    public JsonObject architecture() {
        return architecture.deepCopy();
    }

    /** Pattern-matching setting per dense/conv layer path, in model order. */
    public Map<String, PatternMatching> patternMatching() {
        return patternMatching;
    }

    /** The model's state entries (weights, learnable lambdas, running statistics). */
    public Map<String, HostTensor> modelState() {
        return modelState;
    }

    /** Optimizer tensors, keyed without the "optimizer." prefix ("fc1.weight.momentum_buffer"). */
    public Map<String, HostTensor> optimizerState() {
        return optimizerState;
    }

    /** Extra metadata pairs given to {@link CheckpointWriter#metadata} (the format's own keys excluded). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Sets every dense/conv layer's pattern matching as saved, then loads the model state, with
     * exact names. Everything is checked first (the set of layers, each learnable lambda against
     * its mode, every name and shape), so on error the model is left as it was.
     *
     * @throws CheckpointException naming the file and the mismatches
     */
    public LoadReport restoreInto(Module model) {
        Map<String, MatchingLayer> layers = PatternMatchingSwitch.layers(model);
        List<String> problems = new ArrayList<>();
        for (String path : layers.keySet()) {
            if (!patternMatching.containsKey(path)) {
                problems.add("layer " + StateDictLoader.q(path) + " has no pattern-matching setting in the checkpoint");
            }
        }
        Map<String, HostTensor> withoutLambdas = new LinkedHashMap<>(modelState);
        for (Map.Entry<String, PatternMatching> e : patternMatching.entrySet()) {
            String path = e.getKey();
            if (!layers.containsKey(path)) {
                problems.add("the checkpoint has a setting for " + StateDictLoader.q(path)
                        + ", which is no dense or conv layer of the model");
                continue;
            }
            String lambdaKey = path.isEmpty() ? "lambda" : path + ".lambda";
            HostTensor lambda = withoutLambdas.remove(lambdaKey);
            boolean learnable = e.getValue().lambdaMode() != LambdaMode.FIXED;
            if (learnable && (lambda == null || !Arrays.equals(lambda.shape(), new int[] {1}))) {
                problems.add("layer " + StateDictLoader.q(path) + " has a " + e.getValue().lambdaMode().name()
                        .toLowerCase(java.util.Locale.ROOT) + " lambda but " + StateDictLoader.q(lambdaKey) + " is "
                        + (lambda == null ? "missing" : "of shape " + lambda.shapeString()));
            } else if (!learnable && lambda != null) {
                problems.add("layer " + StateDictLoader.q(path) + " has a fixed lambda but the checkpoint holds "
                        + StateDictLoader.q(lambdaKey));
            }
        }
        StateDictLoader.check(model.stateDict(), withoutLambdas, Map.of(), problems, layers.keySet());
        if (!problems.isEmpty()) {
            throw StateDictLoader.mismatch(file.toString(), model, problems);
        }
        for (Map.Entry<String, PatternMatching> e : patternMatching.entrySet()) {
            layers.get(e.getKey()).setPatternMatching(e.getValue());
        }
        return StateDictLoader.loadExact(model, modelState, file.toString());
    }

    @Override
    public String toString() {
        return "ModelCheckpoint(" + file + ", v" + formatVersion + ", " + modelState.size() + " model entries, "
                + optimizerState.size() + " optimizer entries)";
    }
}

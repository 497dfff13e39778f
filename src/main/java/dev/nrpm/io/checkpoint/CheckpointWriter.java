package dev.nrpm.io.checkpoint;

import dev.nrpm.io.safetensors.SafetensorsWriter;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.TensorData;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Saves one of our models as a safetensors checkpoint that {@link ModelCheckpoint} reads back:
 * <ul>
 *   <li>every entry of {@code model.stateDict()} under its own name (weights, learnable lambdas,
 *       batch-norm running statistics), so the file is also a plain state dict for other tools;</li>
 *   <li>optional optimizer state under "optimizer.&lt;param&gt;.&lt;name&gt;"
 *       (e.g. "optimizer.fc1.weight.momentum_buffer");</li>
 *   <li>metadata: "format" = {@value #FORMAT}, "format_version", the caller's "architecture"
 *       JSON, every dense/conv layer's pattern-matching setting as "pattern_matching" JSON (taken
 *       from the model, so a fixed lambda, which is no tensor, is kept too), and any extra pairs.</li>
 * </ul>
 * The write is atomic: a failure leaves any previous checkpoint at that path intact.
 *
 * <pre>
 * CheckpointWriter.of(model).architecture(Map.of("model", "mlp", "widths", List.of(784, 256, 64, 10)))
 *         .optimizerState(momenta).metadata("epoch", "12").write(path);
 * </pre>
 */
public final class CheckpointWriter {
    public static final String FORMAT = "nrpm-checkpoint";
    public static final int FORMAT_VERSION = 1;
    public static final String OPTIMIZER_PREFIX = "optimizer.";
    static final String KEY_FORMAT = "format";
    static final String KEY_VERSION = "format_version";
    public static final String KEY_ARCHITECTURE = "architecture";
    static final String KEY_PATTERN_MATCHING = "pattern_matching";
    static final Set<String> RESERVED = Set.of(KEY_FORMAT, KEY_VERSION, KEY_ARCHITECTURE, KEY_PATTERN_MATCHING);

    private final Module model;
    private JsonObject architecture;
    private final Map<String, Tensor> optimizer = new LinkedHashMap<>();
    private final Map<String, String> extra = new LinkedHashMap<>();
    private DType dtype = DType.FLOAT32;

    private CheckpointWriter(Module model) {
        this.model = model;
    }

    public static CheckpointWriter of(Module model) {
        return new CheckpointWriter(model);
    }

    /** The architecture description (whatever the model builder needs to rebuild the model). */
    public CheckpointWriter architecture(JsonObject spec) {
        this.architecture = spec.deepCopy();
        return this;
    }

    /** The architecture as a map of JSON-compatible values (strings, numbers, booleans, lists, maps). */
    public CheckpointWriter architecture(Map<String, ?> spec) {
        JsonElement tree = new Gson().toJsonTree(spec);
        this.architecture = tree.getAsJsonObject();
        return this;
    }

    /** Optimizer tensors keyed "&lt;param&gt;.&lt;name&gt;", stored as "optimizer.&lt;param&gt;.&lt;name&gt;". */
    public CheckpointWriter optimizerState(Map<String, Tensor> state) {
        optimizer.putAll(state);
        return this;
    }

    /** An extra metadata pair (epoch, accuracy, command line, ...); the format's own keys are reserved. */
    public CheckpointWriter metadata(String key, String value) {
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("metadata key '" + key + "' is reserved by the checkpoint format");
        }
        extra.put(key, value);
        return this;
    }

    /** Floating dtype of the stored tensors: FLOAT32 (default), FLOAT64 (exact for the reference backend), F16, BF16. */
    public CheckpointWriter dtype(DType floatingType) {
        if (!floatingType.isFloatingPoint()) {
            throw new IllegalArgumentException("checkpoint dtype must be floating point, got " + floatingType);
        }
        this.dtype = floatingType;
        return this;
    }

    /**
     * Writes the checkpoint atomically.
     *
     * @throws CheckpointException naming the file: a name clash, an I/O failure (old file intact)
     */
    public void write(Path file) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_FORMAT, FORMAT);
        metadata.put(KEY_VERSION, String.valueOf(FORMAT_VERSION));
        if (architecture != null) {
            metadata.put(KEY_ARCHITECTURE, architecture.toString());
        }
        JsonObject pm = new JsonObject();
        for (Map.Entry<String, MatchingLayer> e : PatternMatchingSwitch.layers(model).entrySet()) {
            pm.add(e.getKey(), PatternMatchingJson.toJson(e.getValue().patternMatching()));
        }
        metadata.put(KEY_PATTERN_MATCHING, pm.toString());
        metadata.putAll(extra);

        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            if (e.getKey().startsWith(OPTIMIZER_PREFIX)) {
                throw new CheckpointException(file, "model entry " + CheckpointException.quote(e.getKey())
                        + " clashes with the optimizer namespace");
            }
            tensors.put(e.getKey(), new ModuleTensor(e.getValue(), dtype));
        }
        for (Map.Entry<String, Tensor> e : optimizer.entrySet()) {
            if (e.getKey().isEmpty()) {
                throw new CheckpointException(file, "optimizer entry with an empty name");
            }
            tensors.put(OPTIMIZER_PREFIX + e.getKey(), new ModuleTensor(e.getValue(), dtype));
        }
        SafetensorsWriter.write(file, metadata, tensors);
    }

    /** Converts one tensor to host bytes only when its turn comes, so the model is never copied whole. */
    private static final class ModuleTensor implements TensorData {
        private final Tensor tensor;
        private final DType dtype;

        ModuleTensor(Tensor tensor, DType dtype) {
            this.tensor = tensor;
            this.dtype = dtype;
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public int[] shape() {
            return tensor.shape();
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            HostTensor.of(tensor, dtype).writeTo(out);
        }
    }
}

package dev.nrpm.cli;

import com.google.gson.Gson;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.checkpoint.CheckpointWriter;
import dev.nrpm.io.checkpoint.LoadReport;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.checkpoint.StateDictLoader;
import dev.nrpm.io.torch.TorchCheckpoint;
import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads --weights into a model, whichever format the file is in (detected from its first bytes). */
final class Weights {
    private Weights() {
    }

    /** What was loaded: a one-line summary, and the per-layer lambdas the file carries. */
    record Loaded(String summary, Map<String, Float> lambdas, ModelCheckpoint checkpoint) {
    }

    /**
     * The most tensor data a load for this model may read: eight times the model's float32 state
     * (float64 files, an optimizer's buffers beside the weights) plus 16 MiB for small extras.
     */
    static long loadBound(Module model) {
        long floats = 0;
        for (dev.nrpm.tensor.Tensor t : model.stateDict().values()) {
            floats += t.size();
        }
        return 8 * 4 * floats + (16L << 20);
    }

    /**
     * Refuses, from the header alone and before any tensor data is read, a checkpoint of another
     * architecture, a tensor whose shape or dtype the model cannot take, or more data than the
     * model's load bound.
     */
    private static void expectModel(Path file, Map<String, String> meta,
                                    Map<String, SafetensorsReader.TensorHeader> entries, Module model, ModelSpec spec) {
        String archJson = meta.get(CheckpointWriter.KEY_ARCHITECTURE);
        if (archJson == null) {
            throw new CheckpointException(file, "no architecture in its metadata: not a model checkpoint of this engine");
        }
        ModelSpec saved;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> arch = new Gson().fromJson(archJson, Map.class);
            saved = ModelSpec.fromMap(arch);
        } catch (RuntimeException e) {
            throw new CheckpointException(file, "unreadable architecture in its metadata ("
                    + CheckpointException.quote(String.valueOf(e.getMessage())) + ")", e);
        }
        if (!saved.equals(spec)) {
            throw new InvalidSettingException(file + " holds a " + saved.describe() + " for " + saved.input()
                    + " inputs, not the requested " + spec.describe() + " for " + spec.input());
        }
        Map<String, dev.nrpm.tensor.Tensor> state = model.stateDict();
        long bytes = 0;
        long bound = loadBound(model);
        for (Map.Entry<String, SafetensorsReader.TensorHeader> e : entries.entrySet()) {
            SafetensorsReader.TensorHeader h = e.getValue();
            bytes += h.bytes();
            if (bytes > bound) {
                throw new CheckpointException(file, "its tensors hold more than " + bound
                        + " bytes, more than this model's checkpoint can (the model's size bounds it)");
            }
            if (!h.dtype().isFloatingPoint()) {
                throw new CheckpointException(file, "tensor " + CheckpointException.quote(e.getKey()) + " is "
                        + h.dtype().safetensorsCode() + "; weights, statistics and optimizer state are floating point");
            }
            dev.nrpm.tensor.Tensor target = state.get(e.getKey());
            if (target != null && !java.util.Arrays.equals(target.shape(), h.shape())) {
                throw new CheckpointException(file, "tensor " + CheckpointException.quote(e.getKey()) + " has shape "
                        + java.util.Arrays.toString(h.shape()) + ", the model's is " + target.shapeString());
            }
        }
    }

    static Loaded load(Path file, Module model, ModelSpec spec) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidSettingException("--weights: no such file: " + file);
        }
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 4) {
                throw new CheckpointException(file, "too short to be a checkpoint (" + n + " bytes)");
            }
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        boolean zip = head[0] == 'P' && head[1] == 'K';
        boolean pickle = (head[0] & 0xff) == 0x80;
        if (zip || pickle) {
            TorchCheckpoint ckpt = TorchReader.read(file, loadBound(model));
            LoadReport report = StateDictLoader.loadPyTorch(model, ckpt);
            return new Loaded(report.loaded().size() + " tensors from a PyTorch " + ckpt.format() + " checkpoint"
                    + (report.ignored().isEmpty() ? "" : ", " + report.ignored().size() + " entries ignored"),
                    report.lambdas(), null);
        }
        ModelCheckpoint ckpt = ModelCheckpoint.read(file, (meta, entries) -> expectModel(file, meta, entries, model, spec));
        ckpt.restoreInto(model);
        Map<String, Float> lambdas = new LinkedHashMap<>();
        String imported = ckpt.metadata().get("lambdas");      // lambdas an import carried over from PyTorch
        if (imported != null) {
            Map<?, ?> m = new Gson().fromJson(imported, Map.class);
            m.forEach((k, v) -> lambdas.put(String.valueOf(k), ((Number) v).floatValue()));
        }
        for (Map.Entry<String, MatchingLayer> e : PatternMatchingSwitch.layers(model).entrySet()) {
            if (!e.getValue().patternMatching().isLpm()) {
                lambdas.put(e.getKey(), e.getValue().lambdaValue());
            }
        }
        return new Loaded("nrpm checkpoint " + file.getFileName(), lambdas, ckpt);
    }
}

package dev.nrpm.train;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.io.checkpoint.CheckpointWriter;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Dropout;
import dev.nrpm.nn.Module;
import dev.nrpm.optim.Sgd;
import dev.nrpm.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint that a run can continue from exactly: weights, lambdas, BN statistics, momentum
 * buffers, the number of finished epochs, the run's seed (which fixes data order, augmentation and
 * attack randomness per epoch) and each dropout layer's draw count. Written atomically after every
 * epoch, so a killed run loses at most the epoch in progress.
 */
public final class TrainingCheckpoint {
    static final String MOMENTUM = ".momentum_buffer";
    static final String EPOCHS = "epochs_done";
    static final String SEED = "seed";
    static final String DROPOUT = "dropout_calls.";

    private TrainingCheckpoint() {
    }

    public static void save(Path file, Module model, ModelSpec spec, Sgd sgd, int epochsDone, long seed,
                            Map<String, String> extra) {
        CheckpointWriter w = CheckpointWriter.of(model).architecture(spec.toMap());
        if (sgd != null) {
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : sgd.state().entrySet()) {
                state.put(e.getKey() + MOMENTUM, e.getValue());
            }
            w.optimizerState(state);
        }
        w.metadata(EPOCHS, String.valueOf(epochsDone)).metadata(SEED, String.valueOf(seed));
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout) {
                w.metadata(DROPOUT + e.getKey(), String.valueOf(((Dropout) e.getValue()).calls()));
            }
        }
        extra.forEach(w::metadata);
        w.write(file);
    }

    /** Metadata entries that define a run (settings a resumed run must share), "run." + name. */
    public static final String RUN = "run.";

    /**
     * The settings of run (name -> value) that differ from those the checkpoint was trained with,
     * as "name: X in the checkpoint, Y now"; empty when all agree. A checkpoint from before these
     * entries were written has none to compare.
     */
    public static List<String> differences(ModelCheckpoint ckpt, Map<String, String> run) {
        List<String> out = new ArrayList<>();
        Map<String, String> meta = ckpt.metadata();
        boolean any = meta.keySet().stream().anyMatch(k -> k.startsWith(RUN));
        if (!any) {
            return out;
        }
        for (Map.Entry<String, String> e : run.entrySet()) {
            String saved = meta.get(RUN + e.getKey());
            if (!e.getValue().equals(saved)) {
                out.add(e.getKey() + ": " + (saved == null ? "not set" : saved) + " in the checkpoint, " + e.getValue() + " now");
            }
        }
        for (String k : meta.keySet()) {
            if (k.startsWith(RUN) && !run.containsKey(k.substring(RUN.length()))) {
                out.add(k.substring(RUN.length()) + ": " + meta.get(k) + " in the checkpoint, not set now");
            }
        }
        return out;
    }

    /** Epochs the checkpoint has done. */
    public static int epochsDone(ModelCheckpoint ckpt) {
        String e = ckpt.metadata().get(EPOCHS);
        if (e == null) {
            throw new InvalidSettingException(ckpt.file() + " is not a training checkpoint (no '" + EPOCHS + "' entry)");
        }
        return Integer.parseInt(e);
    }

    /**
     * Restores a run into model and optimizer (model built from the same spec); returns the number of
     * epochs already done.
     */
    public static int resume(ModelCheckpoint ckpt, Module model, Sgd sgd, long seed) {
        Map<String, String> meta = ckpt.metadata();
        if (!meta.containsKey(EPOCHS)) {
            throw new InvalidSettingException(ckpt.file() + " is not a training checkpoint (no '" + EPOCHS + "' entry)");
        }
        long savedSeed = Long.parseLong(meta.getOrDefault(SEED, "0"));
        if (savedSeed != seed) {
            throw new InvalidSettingException("--resume: " + ckpt.file() + " was trained with --seed " + savedSeed
                    + ", not " + seed + " (an exact continuation needs the same seed)");
        }
        ckpt.restoreInto(model);
        for (Map.Entry<String, HostTensor> e : ckpt.optimizerState().entrySet()) {
            String key = e.getKey();
            if (key.endsWith(MOMENTUM)) {
                sgd.loadState(key.substring(0, key.length() - MOMENTUM.length()), e.getValue().toFloatArray());
            }
        }
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            String calls = meta.get(DROPOUT + e.getKey());
            if (e.getValue() instanceof Dropout && calls != null) {
                ((Dropout) e.getValue()).setCalls(Long.parseLong(calls));
            }
        }
        return Integer.parseInt(meta.get(EPOCHS));
    }
}

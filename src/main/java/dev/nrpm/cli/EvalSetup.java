package dev.nrpm.cli;

import dev.nrpm.attack.AttackPlan;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.EvaluationJob;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.matching.LambdaMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Everything an evaluation needs, as values that travel (Java serialization): the model's
 * architecture, the weights file's bytes, the pattern-matching and attack options, the data
 * selection's arrays, the budgets and run options. {@link #prepare} turns it into a ready model,
 * dataset and attack anywhere: here for a local run, once per executor thread for a distributed
 * one, the same way, so both compute the same numbers.
 */
public final class EvalSetup implements EvaluationJob {
    private static final long serialVersionUID = 1L;

    private final ModelSpec spec;
    private final String weightsName;
    private final byte[] weights;
    private final PatternMatchingOptions pm;
    private final AttackOptions attack;
    private final ImageDataset.Portable data;
    private final EvalOptions options;
    private final long seed;
    private final String device;

    /** device: where each task computes (--device: auto takes the GPU Spark assigned, where there is one). */
    EvalSetup(ModelSpec spec, Path weightsFile, PatternMatchingOptions pm, AttackOptions attack, ImageDataset data,
              EvalOptions options, long seed, String device) {
        this.spec = spec;
        this.weightsName = weightsFile.getFileName().toString();
        try {
            this.weights = Files.readAllBytes(weightsFile);
        } catch (IOException e) {
            throw new InvalidSettingException("--weights " + weightsFile + ": cannot read (" + e.getMessage() + ")");
        }
        this.pm = pm;
        this.attack = attack;
        this.data = data.portable();
        this.options = options;
        this.seed = seed;
        this.device = device;
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public String fingerprint() {
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(bytes)) {
                o.writeObject(this);
            }
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
            return java.util.HexFormat.of().formatHex(h, 0, 8);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest the evaluation's setup", e);
        }
    }

    @Override
    public EvalOptions options() {
        return options;
    }

    @Override
    public double[] budgets() {
        return attack.budgets.clone();
    }

    /**
     * Builds the model on the given backend ("auto": a GPU where one is usable, else the CPU),
     * loads the weights, applies the pattern matching, opens the data and the attack.
     */
    @Override
    public Prepared prepare(String device) {
        Backend be = Backends.get(device);
        ImageDataset d = data.open();
        Module net = spec.build(new ParamInit(be, seed));
        Path file;
        try {
            Path dir = Files.createTempDirectory("nrpm-weights");
            file = Files.write(dir.resolve(weightsName), weights);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the weights to a temporary file", e);
        }
        try {
            Weights.Loaded loaded = Weights.load(file, net, spec);
            PatternMatchingOptions.Applied applied = pm.apply(net, loaded.lambdas(), LambdaMode.FIXED);
            AttackPlan plan = attack.plan(d.numClasses());
            return new Prepared(net, be, d, plan, applied.label(), applied.values(), loaded.summary());
        } finally {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.getParent());
            } catch (IOException ignored) {
                // a temporary file
            }
        }
    }
}

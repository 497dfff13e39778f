package dev.nrpm.io.checkpoint;

import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.io.safetensors.SafetensorsContent;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.safetensors.SafetensorsWriter;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.Fixtures;
import dev.nrpm.io.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.Sequential;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our own checkpoints: write a model with NRPM settings and optimizer state, read it, restore it. */
class ModelCheckpointTest {
    private static final PatternMatching FIXED = PatternMatching.nrpm(3, 1e-3f, 0.3f);
    private static final PatternMatching LEARNABLE =
            new PatternMatching(new NrpmSpec(2, 5e-5f, WeightFunction.HUBER, 4f, 0.7f), LambdaMode.LEARNABLE, 0.6f);
    private static final PatternMatching SIGMOID =
            new PatternMatching(new NrpmSpec(1, 1e-3f, WeightFunction.HM, 4f, 3f), LambdaMode.SIGMOID, 0.25f);

    @TempDir
    Path dir;

    /** fc1 fixed NRPM, fc2 learnable lambda (trained to 0.8), fc3 sigmoid lambda, plus a conv+bn model. */
    private static Sequential reprogrammedMlp(long seed) {
        Sequential m = TestModels.mlp(6, 4, 3, 2, seed);
        layer(m, "fc1").setPatternMatching(FIXED);
        layer(m, "fc2").setPatternMatching(LEARNABLE);
        layer(m, "fc3").setPatternMatching(SIGMOID);
        Tensor lambda = m.stateDict().get("fc2.lambda");
        try (Tensor trained = Tensor.of(lambda.backend(), new float[] {0.8f}, 1)) {
            lambda.assign(trained);
        }
        return m;
    }

    private static MatchingLayer layer(Module m, String path) {
        return (MatchingLayer) m.namedModules().get(path);
    }

    @Test
    void roundTripRestoresWeightsLambdasSettingsAndOptimizerState() {
        Path f = dir.resolve("mlp.safetensors");
        Backend ref = Backends.get("reference");
        try (Sequential model = reprogrammedMlp(1);
             Tensor momentum = Tensor.of(ref, new double[] {0.125, -0.5, 1e-3, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                 15, 16, 17, 18, 19, 20, 21, 22}, 4, 6)) {
            Map<String, Object> arch = new LinkedHashMap<>();
            arch.put("model", "mlp");
            arch.put("widths", List.of(6, 4, 3, 2));
            CheckpointWriter.of(model).architecture(arch).optimizerState(Map.of("fc1.weight.momentum_buffer", momentum))
                    .metadata("epoch", "12").dtype(DType.FLOAT64).write(f);

            ModelCheckpoint ck = ModelCheckpoint.read(f);
            assertEquals(1, ck.formatVersion());
            assertEquals("mlp", ck.architecture().get("model").getAsString());
            assertEquals(List.of(6, 4, 3, 2), List.of(ck.architecture().getAsJsonArray("widths").get(0).getAsInt(),
                    ck.architecture().getAsJsonArray("widths").get(1).getAsInt(),
                    ck.architecture().getAsJsonArray("widths").get(2).getAsInt(),
                    ck.architecture().getAsJsonArray("widths").get(3).getAsInt()));
            assertEquals(Map.of("fc1", FIXED, "fc2", LEARNABLE, "fc3", SIGMOID), ck.patternMatching());
            assertEquals(Map.of("epoch", "12"), ck.metadata());
            assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc2.lambda", "fc3.weight",
                    "fc3.bias", "fc3.lambda"), List.copyOf(ck.modelState().keySet()));
            assertEquals(List.of("fc1.weight.momentum_buffer"), List.copyOf(ck.optimizerState().keySet()));
            assertArrayEquals(momentum.toDoubleArray(), ck.optimizerState().get("fc1.weight.momentum_buffer").toDoubleArray());

            try (Sequential fresh = TestModels.mlp(6, 4, 3, 2, 99)) {
                assertNotEquals(model.stateDict().get("fc1.weight").toDoubleArray()[0],
                        fresh.stateDict().get("fc1.weight").toDoubleArray()[0]);
                LoadReport r = ck.restoreInto(fresh);
                assertEquals(8, r.loaded().size());
                for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                    assertArrayEquals(e.getValue().toDoubleArray(), fresh.stateDict().get(e.getKey()).toDoubleArray(),
                            e.getKey());    // float64 storage: exact on the reference backend
                }
                assertEquals(FIXED, layer(fresh, "fc1").patternMatching());
                assertEquals(0.3f, layer(fresh, "fc1").lambdaValue());
                assertEquals(0.8f, layer(fresh, "fc2").lambdaValue());
                assertEquals(layer(model, "fc3").lambdaValue(), layer(fresh, "fc3").lambdaValue(), 1e-7f);
            }
        }
    }

    @Test
    void batchNormStatisticsAndFloat32Storage() {
        Path f = dir.resolve("convbn.safetensors");
        try (Sequential model = TestModels.convBn(5)) {
            StateDictLoader.loadPyTorch(model, TorchReader.read(Fixtures.torch("zip_dataparallel.t7")));
            CheckpointWriter.of(model).architecture(new JsonObject()).write(f);
            SafetensorsContent raw = SafetensorsReader.read(f);
            assertEquals(DType.FLOAT32, raw.tensors().get("bn1.running_var").dtype());
            assertEquals("nrpm-checkpoint", raw.metadata().get("format"));
            try (Sequential fresh = TestModels.convBn(6)) {
                ModelCheckpoint.read(f).restoreInto(fresh);
                assertArrayEquals(new float[] {0.5f, 1f, 1.5f, 2f}, fresh.stateDict().get("bn1.running_var").toFloatArray());
                assertArrayEquals(Fixtures.values(108, 20), fresh.stateDict().get("conv1.weight").toFloatArray());
            }
        }
    }

    @Test
    void overwritingReplacesTheFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ck.safetensors");
        try (Sequential a = TestModels.mlp(6, 4, 3, 2, 1); Sequential b = TestModels.mlp(6, 4, 3, 2, 2)) {
            CheckpointWriter.of(a).metadata("which", "a").write(f);
            CheckpointWriter.of(b).metadata("which", "b").write(f);
            ModelCheckpoint ck = ModelCheckpoint.read(f);
            assertEquals("b", ck.metadata().get("which"));
            assertArrayEquals(HostTensor.of(b.stateDict().get("fc1.weight"), DType.FLOAT32).toFloatArray(),
                    ck.modelState().get("fc1.weight").toFloatArray());
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of("ck.safetensors"), s.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    @Test
    void restoreChecksEverythingBeforeChangingTheModel() {
        Path f = dir.resolve("mlp.safetensors");
        try (Sequential model = reprogrammedMlp(1)) {
            CheckpointWriter.of(model).write(f);
        }
        ModelCheckpoint ck = ModelCheckpoint.read(f);
        try (Sequential wider = TestModels.mlp(7, 4, 3, 2, 3)) {
            double[] before = wider.stateDict().get("fc2.weight").toDoubleArray();
            CheckpointException e = assertThrows(CheckpointException.class, () -> ck.restoreInto(wider));
            assertTrue(e.getMessage().contains("'fc1.weight' has shape [4, 6] in the checkpoint but [4, 7] in the model"),
                    e.getMessage());
            assertEquals(PatternMatching.lpm(), layer(wider, "fc1").patternMatching(), "settings changed before the check");
            assertArrayEquals(before, wider.stateDict().get("fc2.weight").toDoubleArray());
        }
        try (Sequential other = new Sequential().add("fc1", new Dense(TestModels.init(4), 6, 4, true))) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ck.restoreInto(other));
            assertTrue(e.getMessage().contains("the checkpoint has a setting for 'fc2', which is no dense or conv layer"),
                    e.getMessage());
        }
    }

    @Test
    void readRefusesForeignAndFutureFilesAndBadMetadata() {
        Path plain = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(plain, Map.of(), Map.of("w", HostTensor.ofFloats(new float[] {1}, 1)));
        Fixtures.assertCheckpointError(plain, () -> ModelCheckpoint.read(plain),
                "not an nrpm checkpoint (metadata format is missing)");

        Path future = dir.resolve("future.safetensors");
        SafetensorsWriter.write(future, Map.of("format", "nrpm-checkpoint", "format_version", "7"), Map.of());
        Fixtures.assertCheckpointError(future, () -> ModelCheckpoint.read(future),
                "format_version 7 is not readable by this build (reads 1 to 1)");

        Path arch = dir.resolve("arch.safetensors");
        SafetensorsWriter.write(arch, Map.of("format", "nrpm-checkpoint", "format_version", "1", "architecture",
                "{model: mlp}"), Map.of());
        Fixtures.assertCheckpointError(arch, () -> ModelCheckpoint.read(arch), "metadata architecture is not valid JSON");

        Path pm = dir.resolve("pm.safetensors");
        SafetensorsWriter.write(pm, Map.of("format", "nrpm-checkpoint", "format_version", "1", "pattern_matching",
                "{\"fc1\":{\"k\":2,\"eps\":-1,\"function\":\"L1\",\"gamma\":4,\"delta\":3,\"lambda_mode\":\"fixed\","
                        + "\"lambda\":0.5}}"), Map.of());
        Fixtures.assertCheckpointError(pm, () -> ModelCheckpoint.read(pm), "pattern_matching of layer 'fc1'",
                "eps must be a finite number >= ");
    }

    @Test
    void writerRefusesReservedMetadataKeys() {
        try (Sequential model = TestModels.mlp(2, 2, 2, 2, 1)) {
            CheckpointWriter w = CheckpointWriter.of(model);
            assertThrows(IllegalArgumentException.class, () -> w.metadata("pattern_matching", "{}"));
            assertThrows(IllegalArgumentException.class, () -> w.dtype(DType.INT64));
            assertFalse(Files.exists(dir.resolve("never.safetensors")));
        }
    }
}

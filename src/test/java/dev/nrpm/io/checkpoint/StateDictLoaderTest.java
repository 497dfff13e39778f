package dev.nrpm.io.checkpoint;

import dev.nrpm.io.torch.TorchCheckpoint;
import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.TestModels;
import static dev.nrpm.io.Fixtures.torch;
import static dev.nrpm.io.Fixtures.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.MatchingLayer;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.Sequential;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PyTorch state dicts onto dev.nrpm.nn modules (reference backend). */
class StateDictLoaderTest {

    @Test
    void mlpLoadsWeightsAndReportsLambdas() {
        try (Sequential model = TestModels.mlp(6, 4, 3, 2, 1)) {
            LoadReport r = StateDictLoader.loadPyTorch(model, TorchReader.read(torch("zip_mlp.pth")));
            assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"), r.loaded());
            Map<String, Tensor> sd = model.stateDict();
            assertArrayEquals(values(24, 1), sd.get("fc1.weight").toFloatArray());
            assertArrayEquals(values(4, 11), sd.get("fc1.bias").toFloatArray());
            assertArrayEquals(values(12, 2), sd.get("fc2.weight").toFloatArray());
            assertArrayEquals(values(2, 13), sd.get("fc3.bias").toFloatArray());
            assertEquals(Map.of("fc1", 0.5f, "fc2", 0.25f, "fc3", 1.0f), r.lambdas());
            assertEquals(List.of("fc1", "fc2", "fc3"), List.copyOf(r.lambdas().keySet()));
            assertTrue(r.ignored().isEmpty());

            r.applyLambdas(model, PatternMatching.nrpm(2, 1e-3f, 0.9f));
            MatchingLayer fc2 = (MatchingLayer) model.children().get("fc2");
            assertEquals(0.25f, fc2.lambdaValue());
            assertEquals(2, fc2.patternMatching().spec().k());
        }
    }

    @Test
    void dataParallelConvBnCheckpoint() {
        try (Sequential model = TestModels.convBn(2)) {
            TorchCheckpoint ck = TorchReader.read(torch("zip_dataparallel.t7"));
            LoadReport r = StateDictLoader.loadPyTorch(model, ck);
            assertTrue(r.strippedModulePrefix());
            assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                    "fc.weight", "fc.bias"), r.loaded());
            assertEquals(List.of("module.bn1.num_batches_tracked"), List.copyOf(r.ignored().keySet()));
            assertEquals(Map.of("conv1", 0.75f, "fc", 0.5f), r.lambdas());
            Map<String, Tensor> sd = model.stateDict();
            assertArrayEquals(values(108, 20), sd.get("conv1.weight").toFloatArray());
            assertArrayEquals(new float[] {0.5f, 1.0f, 1.5f, 2.0f}, sd.get("bn1.running_var").toFloatArray());
            assertArrayEquals(values(4, 23), sd.get("bn1.running_mean").toFloatArray());
        }
    }

    @Test
    void shapeMismatchNamesTheKeyAndBothShapesAndLoadsNothing() {
        try (Sequential model = TestModels.mlp(5, 4, 3, 2, 3)) {
            float[] before = model.stateDict().get("fc2.weight").toFloatArray();
            Map<String, HostTensor> sd = TorchReader.read(torch("zip_mlp.pth")).stateDict();
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> StateDictLoader.loadPyTorch(model, sd, "zip_mlp.pth"));
            assertEquals("zip_mlp.pth: state dict does not fit Sequential: 1 problem: 'fc1.weight' has shape [4, 6]"
                    + " in the checkpoint but [4, 5] in the model", e.getMessage());
            // all or nothing: the entries that did fit were not written either
            assertArrayEquals(before, model.stateDict().get("fc2.weight").toFloatArray());
        }
    }

    @Test
    void missingAndUnexpectedKeys() {
        Map<String, HostTensor> sd = TorchReader.read(torch("zip_mlp.pth")).stateDict();
        try (Sequential twoLayers = new Sequential()) {
            twoLayers.add("fc1", new Dense(TestModels.init(4), 6, 4, true))
                    .add("fc2", new Dense(TestModels.init(5), 4, 3, true))
                    .add("head", new Dense(TestModels.init(6), 3, 2, false));
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> StateDictLoader.loadPyTorch(twoLayers, sd, "src"));
            String m = e.getMessage();
            assertTrue(m.startsWith("src: state dict does not fit Sequential: 4 problems: "), m);
            assertTrue(m.contains("unexpected key 'fc3.robust_sum.lmbd': no dense or conv layer 'fc3'"), m);
            assertTrue(m.contains("unexpected key 'fc3.weight' (shape [2, 3], no such entry in the model)"), m);
            assertTrue(m.contains("unexpected key 'fc3.bias' (shape [2]"), m);
            assertTrue(m.contains("missing key 'head.weight' (model shape [2, 3])"), m);
        }
    }

    @Test
    void badLambdaEntries() {
        Map<String, HostTensor> sd = new LinkedHashMap<>();
        sd.put("fc1.weight", HostTensor.ofFloats(new float[6], 3, 2));
        sd.put("fc1.robust_sum.lmbd", HostTensor.ofFloats(new float[] {0.5f, 0.5f}, 2));
        try (Sequential model = new Sequential().add("fc1", new Dense(TestModels.init(7), 2, 3, false))) {
            assertMessage(model, sd, "lambda 'fc1.robust_sum.lmbd' should be one float, has float32 shape [2]");
            sd.put("fc1.robust_sum.lmbd", HostTensor.ofFloats(new float[] {0.5f}, 1));
            sd.put("fc1.robust_sum.beta", HostTensor.ofFloats(new float[] {0.0f}, 1));
            assertMessage(model, sd, "two lambdas for layer 'fc1'");
        }
        try (Sequential model = TestModels.convBn(8)) {
            Map<String, HostTensor> conv = new LinkedHashMap<>(TorchReader.read(torch("zip_dataparallel.t7")).stateDict());
            conv.put("module.bn1.robust_sum.beta", HostTensor.ofFloats(new float[] {0f}, 1));
            assertMessage(model, conv, "unexpected key 'module.bn1.robust_sum.beta': no dense or conv layer 'bn1'");
        }
    }

    @Test
    void integerValuesForAFloatParameterAndDuplicateKeys() {
        try (Sequential model = new Sequential().add("fc1", new Dense(TestModels.init(9), 2, 1, false))) {
            Map<String, HostTensor> sd = new LinkedHashMap<>();
            sd.put("fc1.weight", HostTensor.ofLongs(new long[] {1, 2}, 1, 2));
            assertMessage(model, sd, "'fc1.weight' is int64 in the checkpoint, the model needs floating point values");
            sd.put("fc1.weight", HostTensor.ofFloats(new float[] {1, 2}, 1, 2));
            sd.put("module.fc1.weight", HostTensor.ofFloats(new float[] {1, 2}, 1, 2));
            assertMessage(model, sd, "keys 'fc1.weight' and 'module.fc1.weight' both mean 'fc1.weight'");
        }
    }

    @Test
    void learnableLambdaParametersAreNotExpectedInTorchFilesButAreInExactLoads() {
        try (Sequential model = TestModels.mlp(6, 4, 3, 2, 10)) {
            ((MatchingLayer) model.children().get("fc1")).setPatternMatching(
                    PatternMatching.nrpm(1, 1e-3f, 0.5f).withLambda(LambdaMode.LEARNABLE, 0.5f));
            assertTrue(model.stateDict().containsKey("fc1.lambda"));
            Map<String, HostTensor> sd = TorchReader.read(torch("zip_mlp.pth")).stateDict();
            LoadReport r = StateDictLoader.loadPyTorch(model, sd, "zip_mlp.pth");
            assertEquals(6, r.loaded().size());

            Map<String, HostTensor> exact = new LinkedHashMap<>(sd);
            exact.keySet().removeIf(k -> k.contains("robust_sum"));
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> StateDictLoader.loadExact(model, exact, "mine"));
            assertTrue(e.getMessage().contains("missing key 'fc1.lambda' (model shape [1])"), e.getMessage());
        }
    }

    @Test
    void applyingALambdaOutsideTheModesRangeIsATypedError() {
        try (Sequential model = TestModels.convBn(11)) {
            LoadReport r = StateDictLoader.loadPyTorch(model, TorchReader.read(torch("zip_dataparallel.t7")));
            PatternMatching sigmoid = PatternMatching.nrpm(1, 1e-3f, 0.5f).withLambda(LambdaMode.SIGMOID, 0.5f);
            r.applyLambdas(model, sigmoid);       // 0.75 and 0.5 are inside (0, 1)
            Module conv = model.children().get("conv1");
            assertEquals(0.75f, ((MatchingLayer) conv).lambdaValue(), 1e-6f);
            Map<String, HostTensor> zero = new LinkedHashMap<>(TorchReader.read(torch("zip_dataparallel.t7")).stateDict());
            zero.put("module.conv1.robust_sum.beta", HostTensor.ofFloats(new float[] {0f}, 1));
            LoadReport r0 = StateDictLoader.loadPyTorch(model, zero, "z");
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> r0.applyLambdas(model, sigmoid));
            assertTrue(e.getMessage().startsWith("layer 'conv1': "), e.getMessage());
        }
    }

    @Test
    void aModelThatIsItselfOneLayer() {
        try (Dense model = new Dense(TestModels.init(12), 2, 1, true)) {
            model.setPatternMatching(PatternMatching.nrpm(1, 1e-3f, 0.5f).withLambda(LambdaMode.LEARNABLE, 0.5f));
            Map<String, HostTensor> sd = new LinkedHashMap<>();
            sd.put("weight", HostTensor.ofFloats(new float[] {1, 2}, 1, 2));
            sd.put("bias", HostTensor.ofFloats(new float[] {3}, 1));
            sd.put("robust_sum.lmbd", HostTensor.ofFloats(new float[] {0.25f}, 1));
            LoadReport r = StateDictLoader.loadPyTorch(model, sd, "single");
            assertEquals(Map.of("", 0.25f), r.lambdas());
            r.applyLambdas(model, PatternMatching.nrpm(1, 1e-3f, 0.5f));
            assertEquals(0.25f, model.lambdaValue());
            assertArrayEquals(new float[] {1, 2}, model.weight().toFloatArray());
        }
    }

    private static void assertMessage(Module model, Map<String, HostTensor> sd, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> StateDictLoader.loadPyTorch(model, sd, "t"));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}

package dev.nrpm.io.checkpoint;

import dev.nrpm.io.torch.TorchCheckpoint;
import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.TestModels;
import static dev.nrpm.io.Fixtures.realModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.nn.Module;
import dev.nrpm.nn.Sequential;
import dev.nrpm.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The three published checkpoints in ../shared/models (skipped when absent). Expected raw values
 * were decoded independently with numpy from the files' storage bytes (np.frombuffer(..., '<f4'),
 * sums in float64).
 */
class RealCheckpointsTest {

    @Test
    void mlp3ZipCheckpoint() {
        TorchCheckpoint ck = TorchReader.read(realModel("mlp3_mnist_model.pth"));
        assertEquals(TorchCheckpoint.Format.ZIP, ck.format());
        assertEquals("epoch9", ck.archiveName());
        Map<String, HostTensor> sd = ck.stateDict();
        assertShape(sd, "fc1.weight", 256, 784);
        assertShape(sd, "fc1.bias", 256);
        assertShape(sd, "fc2.weight", 64, 256);
        assertShape(sd, "fc2.bias", 64);
        assertShape(sd, "fc3.weight", 10, 64);
        assertShape(sd, "fc3.bias", 10);
        for (String fc : List.of("fc1", "fc2", "fc3")) {
            assertShape(sd, fc + ".robust_sum.lmbd", 1);
            assertEquals(0.5, sd.get(fc + ".robust_sum.lmbd").item());
        }
        float[] w1 = sd.get("fc1.weight").toFloatArray();
        assertEquals(0.018402258f, w1[0]);
        assertEquals(0.022345416f, w1[w1.length - 1]);
        assertEquals(-18.138841581037198, sum(sd.get("fc1.weight")), 1e-9);
        assertEquals(0.026170008917688392, sum(sd.get("fc3.weight")), 1e-9);

        try (Sequential model = TestModels.mlp(784, 256, 64, 10, 1)) {
            LoadReport r = StateDictLoader.loadPyTorch(model, ck);
            assertEquals(6, r.loaded().size());
            assertEquals(Map.of("fc1", 0.5f, "fc2", 0.5f, "fc3", 0.5f), r.lambdas());
            assertArrayEquals(sd.get("fc3.weight").toFloatArray(), model.stateDict().get("fc3.weight").toFloatArray());
        }
    }

    @Test
    void lenetLegacyCheckpoint() {
        TorchCheckpoint ck = TorchReader.read(realModel("lenet_mnist_model.pth"));
        assertEquals(TorchCheckpoint.Format.LEGACY, ck.format());
        Map<String, HostTensor> sd = ck.stateDict();
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                "fc2.weight", "fc2.bias"), List.copyOf(sd.keySet()));
        assertShape(sd, "conv1.weight", 10, 1, 5, 5);
        assertShape(sd, "conv2.weight", 20, 10, 5, 5);
        assertShape(sd, "fc1.weight", 50, 320);
        assertShape(sd, "fc2.weight", 10, 50);
        assertEquals(0.07157202f, sd.get("conv1.weight").toFloatArray()[0]);
        assertEquals(-0.1638432f, sd.get("fc2.weight").toFloatArray()[499]);
        assertEquals(-34.887343950849754, sum(sd.get("conv2.weight")), 1e-9);
        assertEquals(-43.911939995503644, sum(sd.get("fc1.weight")), 1e-9);

        try (Sequential model = TestModels.lenet(2)) {
            LoadReport r = StateDictLoader.loadPyTorch(model, ck);
            assertEquals(8, r.loaded().size());
            assertTrue(r.lambdas().isEmpty());
        }
    }

    @Test
    void tinyResNetTrainingCheckpoint() {
        TorchCheckpoint ck = TorchReader.read(realModel("tinyresnet18_cifar10_model.t7"));
        assertEquals("epoch75", ck.archiveName());
        Map<?, ?> root = (Map<?, ?>) ck.root();
        assertEquals(67.89, root.get("acc"));
        assertEquals(43.25, root.get("adv_acc"));
        assertEquals(75L, root.get("epoch"));
        Map<String, HostTensor> sd = ck.stateDict();
        assertEquals(138, sd.size());
        assertTrue(sd.keySet().stream().allMatch(k -> k.startsWith("module.")));
        assertShape(sd, "module.conv1.weight", 8, 3, 3, 3);
        assertShape(sd, "module.layer4.0.conv1.weight", 64, 32, 3, 3);
        assertShape(sd, "module.layer4.1.conv2.weight", 64, 64, 3, 3);
        assertShape(sd, "module.layer4.0.shortcut.0.weight", 64, 32, 1, 1);
        assertShape(sd, "module.linear.weight", 10, 64);
        HostTensor beta = sd.get("module.layer4.1.conv2.robust_sum.beta");
        assertArrayEquals(new int[] {1}, beta.shape());
        assertEquals(0.0, beta.item());
        HostTensor nbt = sd.get("module.bn1.num_batches_tracked");
        assertEquals(DType.INT64, nbt.dtype());
        assertArrayEquals(new int[0], nbt.shape());
        assertEquals(237728L, nbt.toLongArray()[0]);
        assertEquals(-14.824168392925358, sum(sd.get("module.layer4.1.conv2.weight")), 1e-9);
        assertEquals(1.1984418146312237, sum(sd.get("module.bn1.running_var")), 1e-9);

        try (Module model = TestModels.tinyResNetTree(3)) {
            LoadReport r = StateDictLoader.loadPyTorch(model, ck);
            assertTrue(r.strippedModulePrefix());
            assertEquals(138 - 20 - 16, r.loaded().size());
            assertEquals(20, r.ignored().size());
            assertEquals(16, r.lambdas().size());
            assertTrue(r.lambdas().values().stream().allMatch(v -> v == 0f));
            Tensor w = model.stateDict().get("layer4.1.conv2.weight");
            assertArrayEquals(sd.get("module.layer4.1.conv2.weight").toFloatArray(), w.toFloatArray());
        }
    }

    private static void assertShape(Map<String, HostTensor> sd, String key, int... shape) {
        assertTrue(sd.containsKey(key), "missing " + key);
        assertArrayEquals(shape, sd.get(key).shape(), key);
    }

    private static double sum(HostTensor t) {
        double s = 0;
        for (double v : t.toDoubleArray()) {
            s += v;
        }
        return s;
    }
}

package dev.nrpm.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.io.checkpoint.LoadReport;
import dev.nrpm.io.checkpoint.StateDictLoader;
import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The published checkpoints in ../shared/models, loaded into our models and run on the real MNIST
 * test images in ../shared/data: the accuracies their architecture should reach. Skipped where
 * ../shared is absent (a user's clone).
 */
class RealCheckpointTest {
    private static final Path MODELS = Paths.get("..", "shared", "models");
    private static final Path MNIST = Paths.get("..", "shared", "data", "mnist");

    private static Path require(Path p) {
        Assumptions.assumeTrue(Files.exists(p), () -> p + " not found: the shared checkpoints and data are absent");
        return p;
    }

    private static ImageDataset first1000() {
        require(MNIST.resolve("t10k-images-idx3-ubyte.gz"));
        return Datasets.open("mnist", Split.TEST, DataOptions.defaults().withDataDir(MNIST).withDownload(false))
                .slice(0, 1000);
    }

    private Module load(Backend be, String file, ModelSpec spec) {
        Module model = spec.build(new ParamInit(be, 0));
        LoadReport report = StateDictLoader.loadPyTorch(model, TorchReader.read(require(MODELS.resolve(file))));
        assertTrue(report.loaded().size() > 0);
        return model;
    }

    /** An MNIST model from ../shared/models (skipped where it is absent). */
    private Module loadMnist(Backend be, String file, String model) {
        return load(be, file, ModelSpec.of(model, InputShape.MNIST));
    }

    private double cleanAccuracy(Module model, Backend be, ImageDataset data) {
        RobustnessCurve c = RobustnessEvaluator.evaluate("clean", null, model, be, data, 250, null, new double[] {0},
                1, BatchProgress.NONE);
        return c.accuracy(0);
    }

    @Test
    void mlpReachesItsAccuracyOnRealDigits() {
        Backend cpu = TestBackends.require("cpu");
        double acc = cleanAccuracy(loadMnist(cpu, "mlp3_mnist_model.pth", "mlp"), cpu, first1000());
        assertTrue(acc > 0.90, "MLP clean accuracy on 1000 test images: " + acc);
    }

    @Test
    void lenetReachesItsAccuracyOnRealDigits() {
        Backend cpu = TestBackends.require("cpu");
        ImageDataset data = first1000();
        Module lenet = loadMnist(cpu, "lenet_mnist_model.pth", "lenet");
        double acc = cleanAccuracy(lenet, cpu, data);
        assertTrue(acc > 0.97, "LeNet clean accuracy on 1000 test images: " + acc);
        // NRPM in every layer at lambda 0.5 keeps the model working (paradigm 1, no training)
        PatternMatchingSwitch.apply(lenet, List.of("*"), PatternMatching.nrpm(3, 1e-3f, 0.5f));
        double nrpm = cleanAccuracy(lenet, cpu, data.slice(0, 300));
        assertTrue(nrpm > 0.9, "LeNet with NRPM K=3, lambda 0.5: " + nrpm);
    }

    /** No CIFAR-10 test set here: the tiny ResNet loads, runs, and agrees with the float64 oracle. */
    @Test
    void tinyResnetLoadsAndRunsOnEveryBackend() {
        Backend cpu = TestBackends.require("cpu");
        ModelSpec spec = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(8);
        Module onCpu = load(cpu, "tinyresnet18_cifar10_model.t7", spec).eval();
        Module onRef = load(TestBackends.reference(), "tinyresnet18_cifar10_model.t7", spec).eval();
        float[] x = new TestRandom().uniformArray(2 * 3 * 32 * 32, 0, 1);
        float[] a = onCpu.forward(Tensor.of(cpu, x, 2, 3, 32, 32)).toFloatArray();
        float[] b = onRef.forward(Tensor.of(TestBackends.reference(), x, 2, 3, 32, 32)).toFloatArray();
        assertEquals(20, a.length);
        dev.nrpm.testing.Approx.assertClose("tiny ResNet logits", b, a, 1e-3, 1e-3);
    }
}

package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.optim.Sgd;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the CUDA backend allocates for one training step of full-width ResNet-18 at batch 128 with
 * NRPM (K = 1) in every layer, counted on a device that records allocations and skips kernels:
 * it must fit a 16 GB GPU (the materialized formulation needs 18 GiB for one layer's terms), and
 * stay within a small factor of the LPM step (the fused kernels keep K+1 values per output, not
 * B x O x D).
 */
class TrainingMemoryTest {
    private static long peak(boolean nrpm) {
        AllocationOnlyDevice device = new AllocationOnlyDevice();
        CudaBackend be = new CudaBackend(device, "cuda-plan");
        Module net = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(64).build(new ParamInit(be, 1));
        if (nrpm) {
            PatternMatchingSwitch.apply(net, List.of("*"), PatternMatching.nrpm(1, 1e-3f, 0.5f));
        }
        ImageDataset data = Datasets.open("synth-cifar", Split.TRAIN, DataOptions.defaults().withSynthSize(128));
        TrainConfig cfg = TrainConfig.of(1, 128, 0.01f);
        try (Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), 0f, false)) {
            new Trainer(net, be, sgd, cfg).trainEpoch(BatchLoader.builder(data, 128).build(), 0, 0, BatchProgress.NONE);
        }
        return device.peakBytes();
    }

    @Test
    void fullWidthResNetNrpmTrainingStepFitsSixteenGigabytes() {
        long lpm = peak(false);
        long nrpm = peak(true);
        assertTrue(nrpm < 16L << 30, "NRPM step peak " + (nrpm >> 20) + " MiB exceeds 16 GiB");
        assertTrue(nrpm < 3 * lpm, "NRPM step peak " + (nrpm >> 20) + " MiB vs LPM " + (lpm >> 20) + " MiB");
        assertTrue(lpm > 500L << 20, "an LPM step of ResNet-18 at batch 128 cannot need only " + (lpm >> 20) + " MiB");
    }
}

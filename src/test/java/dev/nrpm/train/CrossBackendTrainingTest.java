package dev.nrpm.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.attack.Fgsm;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TrainedModels;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A few SGD steps of each model, LPM and NRPM, clean and adversarial, on every fast backend and on
 * the float64 reference from the same seed: the losses and the trained weights must agree to
 * float32 tolerance. This is the end-to-end check that a backend trains what the reference trains
 * (initialisation, shuffling, dropout masks, batch-norm statistics, gradients, optimizer).
 */
class CrossBackendTrainingTest {
    static Stream<String> backends() {
        return TestBackends.selected();
    }

    private static final double LOSS_TOL = 1e-4;
    private static final double WEIGHT_TOL = 1e-4;

    private static Module build(String model, Backend be, boolean nrpm) {
        ModelSpec spec;
        switch (model) {
            case "mlp":
                spec = ModelSpec.of("mlp", InputShape.MNIST).withWidths(new int[] {784, 24, 10}).withRelu(true);
                break;
            case "lenet":
                spec = ModelSpec.of("lenet", InputShape.MNIST);
                break;
            default:
                spec = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(2);
                break;
        }
        Module m = spec.build(new ParamInit(be, 7));
        if (nrpm) {
            PatternMatchingSwitch.apply(m, List.of("*"), PatternMatching.nrpm(1, 1e-2f, 0.5f));
        }
        return m;
    }

    private static ImageDataset data(String model) {
        return model.equals("resnet18")
                ? Datasets.open("synth-cifar", Split.TRAIN, DataOptions.defaults().withSynthSize(24))
                : TrainedModels.synthDigits(Split.TRAIN, 48);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void stepsAgreeWithTheReference(String name) {
        Backend fast = TestBackends.require(name);
        Backend ref = TestBackends.reference();
        for (String model : new String[] {"mlp", "lenet", "resnet18"}) {
            for (boolean nrpm : new boolean[] {false, true}) {
                for (boolean adversarial : new boolean[] {false, true}) {
                    if (adversarial && !model.equals("mlp")) {
                        continue;        // the attack path is model-independent; one model keeps the suite short
                    }
                    String what = model + (nrpm ? " NRPM" : " LPM") + (adversarial ? " FGSM-trained" : "") + " on " + name;
                    TrainConfig cfg = TrainConfig.of(1, 12, 0.05f).withSeed(3);
                    if (adversarial) {
                        cfg = cfg.withAdversarial(new AdversarialSetting(new Fgsm(), 0.1f, false));
                    }
                    Module a = build(model, ref, nrpm);
                    Module nudged = build(model, ref, nrpm);
                    nudge(nudged, ref);
                    Module b = build(model, fast, nrpm);
                    ImageDataset d = data(model);
                    EpochStats want = TrainedModels.train(a, ref, d, cfg)[0];
                    EpochStats wobble = TrainedModels.train(nudged, ref, d, cfg)[0];
                    EpochStats got = TrainedModels.train(b, fast, d, cfg)[0];
                    double lossSpread = Math.abs(want.loss() - wobble.loss());
                    assertTrue(Math.abs(want.loss() - got.loss())
                                    <= LOSS_TOL * Math.max(1, Math.abs(want.loss())) + 10 * lossSpread,
                            what + ": loss " + got.loss() + " vs reference " + want.loss());
                    compareWeights(what, a.namedParameters(), nudged.namedParameters(), b.namedParameters());
                }
            }
        }
    }

    /**
     * Scales every parameter by 1 +- 2^-21, a few float32 rounding steps. Training the reference from
     * these too measures how far rounding alone moves the result: NRPM's gradient has terms
     * -sign(r)/(|r|+eps)^2 that flip where a residual is within rounding of zero, so two runs that
     * differ only in rounding can legitimately part; a backend is allowed ten times that spread.
     */
    private static void nudge(Module m, Backend ref) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(99);
        for (Tensor p : m.namedParameters().values()) {
            double[] v = p.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                v[i] *= 1 + (r.nextBoolean() ? 1 : -1) * 0x1.0p-21;
            }
            p.assign(Tensor.of(ref, v, p.shape()));
        }
    }

    /**
     * All parameters as one vector (so near-zero ones such as fresh biases do not dominate): the
     * backend's distance from the reference, relative, within WEIGHT_TOL plus ten times the
     * reference's own distance from its nudged run.
     */
    private static void compareWeights(String what, Map<String, Tensor> want, Map<String, Tensor> wobble,
                                       Map<String, Tensor> got) {
        double err = 0;
        double spread = 0;
        double den = 0;
        String worst = null;
        double worstErr = -1;
        for (Map.Entry<String, Tensor> e : want.entrySet()) {
            double[] w = e.getValue().toDoubleArray();
            double[] n = wobble.get(e.getKey()).toDoubleArray();
            float[] g = got.get(e.getKey()).toFloatArray();
            double own = 0;
            for (int i = 0; i < w.length; i++) {
                own += (w[i] - g[i]) * (w[i] - g[i]);
                spread += (w[i] - n[i]) * (w[i] - n[i]);
                den += w[i] * w[i];
            }
            err += own;
            if (own > worstErr) {
                worstErr = own;
                worst = e.getKey();
            }
        }
        double rel = Math.sqrt(err / den);
        double allowed = WEIGHT_TOL + 10 * Math.sqrt(spread / den);
        assertTrue(rel <= allowed, what + ": the trained weights differ from the reference's, relative " + rel
                + " > allowed " + allowed + " (most in " + worst + ")");
    }
}

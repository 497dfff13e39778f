package dev.nrpm.attack;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.Finding;
import dev.nrpm.eval.ProgressSink;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.nn.Module;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TrainedModels;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The masking checks on a model that masks its gradients on purpose (its input is quantized with a
 * zero gradient, a classic broken defense) and on the same model without the mask: the checks must
 * warn about the first and stay quiet about the second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MaskedModelTest {
    private Backend cpu;
    private Module plain;
    private ImageDataset test;

    @BeforeAll
    void train() {
        cpu = TestBackends.require("cpu");
        plain = TrainedModels.mlp(cpu, 21);
        test = TrainedModels.synthDigits(Split.TEST, 60);
    }

    /** x -> model(round(4 x) / 4), whose input gradient is exactly zero everywhere. */
    private static final class Quantized extends Module {
        private final Module inner;

        Quantized(Module inner) {
            this.inner = inner;
        }

        @Override
        public Tensor forward(Tensor x) {
            float[] v = x.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.round(v[i] * 4) / 4f;
            }
            Tensor q = Tensor.of(x.backend(), v, x.shape());
            return inner.forward(Ops.add(q, Ops.scale(x, 0f)));
        }
    }

    private List<Finding> warnings(Module model) {
        AttackPlan plan = AttackKind.AUTOATTACK.plan(AttackSettings.defaults().withSteps(20).withQueries(300), 10);
        RobustnessCurve c = RobustnessEvaluator.evaluate("m", null, model, cpu, test, plan, new double[] {0, 0.15},
                EvalOptions.of(60, 4).withProbes(true), ProgressSink.NONE);
        return c.findings().stream().filter(Finding::isWarning).collect(Collectors.toList());
    }

    private static boolean has(List<Finding> fs, String code) {
        return fs.stream().anyMatch(f -> f.code().equals(code));
    }

    @Test
    void maskedGradientsAreFlagged() {
        List<Finding> w = warnings(new Quantized(plain));
        assertTrue(has(w, "zero-gradient"), "zero gradients must be flagged: " + w);
        assertTrue(has(w, "gradient-free-broke"), "Square breaking what gradients missed must be flagged: " + w);
        assertTrue(w.stream().anyMatch(f -> f.code().equals("gradient-free-broke") && f.attack().equals("square")
                && f.message().contains("square")), w.toString());
    }

    @Test
    void anHonestModelRaisesNoWarning() {
        List<Finding> w = warnings(plain);
        assertFalse(has(w, "zero-gradient") || has(w, "gradient-free-broke") || has(w, "large-budget")
                || has(w, "more-steps") || has(w, "accuracy-rises-with-budget"), w.toString());
    }
}

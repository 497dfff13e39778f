package dev.nrpm.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.error.ShapeException;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.Approx;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.GradCheck;
import dev.nrpm.testing.TestRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pattern matching as a layer property: switching, lambda modes, freezing, and errors that name the layer. */
class PatternMatchingLayerTest {
    private final TestRandom rnd = new TestRandom();
    private final Backend ref = TestBackends.reference();

    /** fc1 (6 -> 5), relu, conv-free MLP with a conv block: enough to exercise both layer kinds. */
    private static final class Net extends Module {
        final Conv2d conv1;
        final Dense fc1;
        final Dense fc2;

        Net(ParamInit init) {
            conv1 = addChild("conv1", new Conv2d(init, 2, 3, 3, 1, 1, true));
            fc1 = addChild("fc1", new Dense(init, 3 * 4 * 4, 5, true));
            fc2 = addChild("fc2", new Dense(init, 5, 4, false));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = Ops.relu(conv1.forward(x));
            return fc2.forward(Ops.relu(fc1.forward(Ops.flatten(h))));
        }
    }

    private Tensor input(Backend be, float[] v) {
        return Tensor.of(be, v, 2, 2, 4, 4);
    }

    @Test
    void globsSelectLayersAndTyposAreErrors() {
        Net net = new Net(new ParamInit(ref, 1));
        List<String> chosen = PatternMatchingSwitch.apply(net, List.of("fc*"), PatternMatching.nrpm(2, 1e-3f, 0.3f));
        assertEquals(List.of("fc1", "fc2"), chosen);
        assertTrue(net.conv1.patternMatching().isLpm());
        assertEquals(2, net.fc2.patternMatching().spec().k());
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> PatternMatchingSwitch.apply(net, List.of("fc9"), PatternMatching.lpm()));
        assertTrue(e.getMessage().contains("fc9") && e.getMessage().contains("conv1, fc1, fc2"), e.getMessage());
    }

    @Test
    void perLayerLambdasAreValidatedWithTheLayerNameAndNothingChangesOnError() {
        Net net = new Net(new ParamInit(ref, 2));
        NrpmSpec spec = NrpmSpec.l1(1, 1e-3f);
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> PatternMatchingSwitch.configure(
                net, List.of("*"), spec, LambdaMode.FIXED, new float[] {0.2f, 1.5f, 0.1f}));
        assertTrue(e.getMessage().contains("fc1") && e.getMessage().contains("1.5"), e.getMessage());
        assertTrue(net.conv1.patternMatching().isLpm(), "no layer may change when one setting is invalid");
        assertThrows(InvalidSettingException.class, () -> PatternMatchingSwitch.configure(
                net, List.of("*"), spec, LambdaMode.FIXED, new float[] {0.2f, 0.5f}));
        PatternMatchingSwitch.configure(net, List.of("*"), spec, LambdaMode.FIXED, new float[] {0.2f, 0.5f, 0.9f});
        assertEquals(0.5f, net.fc1.lambdaValue());
    }

    @Test
    void invalidSettingsNameTheValue() {
        assertTrue(assertThrows(InvalidSettingException.class, () -> NrpmSpec.l1(-1, 1e-3f)).getMessage().contains("-1"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> NrpmSpec.l1(1, 0f)).getMessage().contains("eps"));
        assertThrows(InvalidSettingException.class, () -> NrpmSpec.l1(1, Float.NaN));
        assertThrows(InvalidSettingException.class, () -> new NrpmSpec(1, 1e-3f, WeightFunction.HM, 1f, 2f));
        assertTrue(assertThrows(InvalidSettingException.class, () -> PatternMatching.nrpm(1, 1e-3f, -0.1f))
                .getMessage().contains("-0.1"));
        assertThrows(InvalidSettingException.class,
                () -> new PatternMatching(NrpmSpec.l1(1, 1e-3f), LambdaMode.SIGMOID, 1f));
    }

    @Test
    void nonFiniteInputsAndShapeMismatchesNameTheLayer() {
        Net net = new Net(new ParamInit(ref, 3));
        PatternMatchingSwitch.apply(net, List.of("conv1"), PatternMatching.nrpm(1, 1e-3f, 0.5f));
        float[] v = rnd.normal(64, 1);
        v[7] = Float.NaN;
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> net.forward(input(ref, v)));
        assertTrue(e.getMessage().startsWith("conv1:") && e.getMessage().contains("1 NaN"), e.getMessage());
        ShapeException s = assertThrows(ShapeException.class, () -> net.fc1.forward(Tensor.zeros(ref, 2, 47)));
        assertTrue(s.getMessage().startsWith("fc1:") && s.getMessage().contains("48"), s.getMessage());
    }

    @Test
    void learnableLambdasAreParametersAndReceiveExactGradients() {
        for (LambdaMode mode : new LambdaMode[] {LambdaMode.LEARNABLE, LambdaMode.SIGMOID}) {
            Net net = new Net(new ParamInit(ref, 4));
            PatternMatching pm = new PatternMatching(NrpmSpec.l1(2, 1e-2f), mode, 0.4f);
            PatternMatchingSwitch.apply(net, List.of("*"), pm);
            assertTrue(net.namedParameters().containsKey("fc1.lambda"), mode + ": lambda is a parameter");
            assertEquals(0.4f, net.fc1.lambdaValue(), 1e-6f);
            // d loss / d (fc1's lambda parameter) against a central difference of the loss itself
            Tensor x = Tensor.of(ref, GradCheck.gaussian(rnd, 64, 1), 2, 2, 4, 4);
            Tensor seed = Tensor.of(ref, GradCheck.gaussian(rnd, 8, 1), 2, 4);
            Tensor raw = net.fc1.param("lambda");
            Ops.sum(Ops.mul(net.forward(x), seed)).backward();
            double analytic = raw.grad().toDoubleArray()[0];
            double v = raw.toDoubleArray()[0];
            double h = 1e-6;
            double[] losses = new double[2];
            for (int i = 0; i < 2; i++) {
                raw.assign(Tensor.of(ref, new double[] {v + (i == 0 ? h : -h)}, 1));
                try (var g = dev.nrpm.tensor.GradMode.noGrad()) {
                    losses[i] = Ops.sum(Ops.mul(net.forward(x), seed)).toDoubleArray()[0];
                }
            }
            double numeric = (losses[0] - losses[1]) / (2 * h);
            assertEquals(numeric, analytic, 1e-6 * Math.max(1, Math.abs(numeric)), mode + " " + rnd.tag());
            assertTrue(Math.abs(analytic) > 1e-9, "lambda matters to the loss");
        }
        Net fixed = new Net(new ParamInit(ref, 5));
        PatternMatchingSwitch.apply(fixed, List.of("*"), PatternMatching.nrpm(1, 1e-3f, 0.4f));
        assertFalse(fixed.namedParameters().containsKey("fc1.lambda"), "a fixed lambda is not a parameter");
    }

    @Test
    void frozenParametersGetNoGradientWhileOthersDo() {
        Backend cpu = TestBackends.require("cpu");
        Net net = new Net(new ParamInit(cpu, 6));
        PatternMatchingSwitch.apply(net, List.of("*"), new PatternMatching(NrpmSpec.l1(1, 1e-3f), LambdaMode.SIGMOID, 0.5f));
        net.setRequiresGrad(false);
        net.fc1.param("lambda").requiresGrad(true);
        Tensor x = input(cpu, rnd.normal(64, 1)).requiresGrad(true);
        Ops.sum(net.forward(x)).backward();
        assertNull(net.fc1.weight().grad(), "frozen weight");
        assertNull(net.conv1.weight().grad(), "frozen weight");
        assertNotNull(net.fc1.param("lambda").grad(), "trainable lambda");
        assertNull(net.fc2.param("lambda").grad(), "frozen lambda");
        assertNotNull(x.grad(), "input gradient for attacks");
    }

    /** A whole small network with every layer in NRPM, CPU against the reference, values and gradients. */
    @Test
    void networkOnCpuMatchesTheReference() {
        Backend cpu = TestBackends.require("cpu");
        long seed = rnd.nextLong();
        Net a = new Net(new ParamInit(cpu, seed));
        Net b = new Net(new ParamInit(ref, seed));
        for (Net n : new Net[] {a, b}) {
            PatternMatchingSwitch.apply(n, List.of("*"),
                    new PatternMatching(NrpmSpec.l1(3, 1e-3f), LambdaMode.LEARNABLE, 0.3f));
        }
        float[] x = rnd.normal(64, 1);
        Ops.sum(a.forward(input(cpu, x))).backward();
        Ops.sum(b.forward(input(ref, x))).backward();
        for (String name : b.namedParameters().keySet()) {
            Approx.assertClose(name + " gradient " + rnd.tag(), b.namedParameters().get(name).grad().toFloatArray(),
                    a.namedParameters().get(name).grad().toFloatArray(), 1e-4, 1e-3);
        }
    }
}

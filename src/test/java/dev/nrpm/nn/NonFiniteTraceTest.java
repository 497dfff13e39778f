package dev.nrpm.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.attack.PgdLinf;
import dev.nrpm.eval.Predictions;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With finite weights, NaN or infinite values are born inside the model; the error names the layer
 * that produced them first, not the later layer (NRPM checks its inputs) or the output that met them.
 */
class NonFiniteTraceTest {
    private final TestRandom rnd = new TestRandom();
    private final Backend be = Backends.get("cpu");         // float32, as users run (the reference is float64)

    /** conv1, bn1, relu, fc1 (NRPM), relu, fc2 (NRPM). */
    private static final class Net extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final Dense fc1;
        final Dense fc2;

        Net(ParamInit init) {
            conv1 = addChild("conv1", new Conv2d(init, 2, 3, 3, 1, 1, true));
            bn1 = addChild("bn1", new BatchNorm2d(init, 3));
            fc1 = addChild("fc1", new Dense(init, 3 * 4 * 4, 5, true));
            fc2 = addChild("fc2", new Dense(init, 5, 4, false));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = bn1.forwardRelu(conv1.forward(x));
            return fc2.forward(Ops.relu(fc1.forward(Ops.flatten(h))));
        }
    }

    private Net net() {
        Net net = new Net(new ParamInit(be, rnd.between(1, 1000)));
        PatternMatchingSwitch.apply(net, List.of("fc*"), PatternMatching.nrpm(2, 1e-3f, 0.5f));
        net.eval();
        return net;
    }

    private Tensor images(int n) {
        return Tensor.of(be, rnd.uniformArray(n * 2 * 4 * 4, 0.05, 1.0), n, 2, 4, 4);
    }

    private static void fill(Tensor t, float value) {
        float[] v = new float[(int) t.size()];
        Arrays.fill(v, value);
        t.assign(Tensor.of(t.backend(), v, t.shape()));
    }

    @Test
    void finiteModelsPredictAsBefore() {
        Net net = net();
        Tensor x = images(5);
        float[] z;
        try (GradMode.Guard g = GradMode.noGrad()) {
            z = net.forward(x).toFloatArray();
        }
        int[] expected = new int[5];
        for (int r = 0; r < 5; r++) {
            for (int c = 1; c < 4; c++) {
                if (z[r * 4 + c] > z[r * 4 + expected[r]]) {
                    expected[r] = c;
                }
            }
        }
        assertArrayEquals(expected, Predictions.of(net, x));
    }

    @Test
    void overflowingConvIsNamedNotTheNrpmLayerThatMetIt() {
        Net net = net();
        fill(net.conv1.weight(), 3e38f);             // finite weights whose sums overflow
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> Predictions.of(net, images(3)));
        assertTrue(e.getMessage().contains("the first layer to produce them is conv1 (Conv2d"), e.getMessage());
        assertTrue(e.getMessage().startsWith("predictions: fc1: input to NRPM"), e.getMessage());
    }

    @Test
    void anAttacksGradientStepNamesTheLayerToo() {
        Net net = net();
        fill(net.conv1.weight(), 3e38f);
        Tensor labels = Tensor.of(be, new float[] {0, 1, 3}, 3);
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> new PgdLinf(2, 0.01f, false).perturb(net, images(3), labels, 0.03f, 5L));
        assertTrue(e.getMessage().startsWith("the attack's gradient: "), e.getMessage());
        assertTrue(e.getMessage().contains("the first layer to produce them is conv1 (Conv2d"), e.getMessage());
    }

    @Test
    void negativeRunningVarianceIsNamed() {
        Net net = net();
        fill(net.bn1.stateDict().get("running_var"), -1f);
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> Predictions.of(net, images(2)));
        assertTrue(e.getMessage().contains("the first layer to produce them is bn1 (BatchNorm2d) output"),
                e.getMessage());
    }

    @Test
    void lpmOutputThatOverflowsIsNamedToo() {
        Net net = net();
        PatternMatchingSwitch.apply(net, List.of("fc*"), PatternMatching.lpm());
        fill(net.fc1.stateDict().get("bias"), 10f);    // relu(fc1) >= 10: fc2's sums overflow
        fill(net.fc2.weight(), 3e38f);
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> Predictions.of(net, images(4)));
        assertTrue(e.getMessage().startsWith("predictions: the model's output holds"), e.getMessage());
        assertTrue(e.getMessage().contains("the first layer to produce them is fc2 (Dense"), e.getMessage());
    }

    @Test
    void badInputsAreBlamedOnTheData() {
        Net net = net();
        float[] v = rnd.uniformArray(2 * 2 * 4 * 4, 0, 1);
        v[rnd.between(0, v.length - 1)] = Float.NaN;
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> Predictions.of(net, Tensor.of(be, v, 2, 2, 4, 4)));
        assertTrue(e.getMessage().contains("its input holds 1 NaN or infinite values of 64 (check the data)"),
                e.getMessage());
    }
}

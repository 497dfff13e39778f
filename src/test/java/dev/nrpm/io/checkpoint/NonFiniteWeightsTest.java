package dev.nrpm.io.checkpoint;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.HostTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backends;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Weights with NaN, infinities, or float64 values beyond float32's range are refused at load, naming the tensor. */
class NonFiniteWeightsTest {
    private final TestRandom rnd = new TestRandom();

    private static Module mlp() {
        return new ModelSpec("mlp", InputShape.MNIST, 10, new int[] {784, 16, 10}, 64, false)
                .build(new ParamInit(Backends.get("cpu"), 1));
    }

    /** The model's own state with one value replaced in one tensor, as the given dtype. */
    private Map<String, HostTensor> stateWith(Module m, String key, double value, boolean float64) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            double[] v = e.getValue().toDoubleArray();
            if (e.getKey().equals(key)) {
                v[rnd.between(0, v.length - 1)] = value;
            }
            out.put(e.getKey(), float64 ? HostTensor.ofDoubles(v, e.getValue().shape())
                    : HostTensor.ofFloats(toFloats(v), e.getValue().shape()));
        }
        return out;
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Test
    void nonFiniteAndOutOfRangeValuesAreRefusedNamingTheTensor() {
        Module m = mlp();
        float[] before = m.stateDict().get("fc1.weight").toFloatArray();
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> StateDictLoader.loadExact(m, stateWith(m, "fc2.bias", bad, false), "w.safetensors"));
            assertTrue(e.getMessage().contains("fc2.bias") && e.getMessage().contains("1 NaN or infinite")
                    && e.getMessage().contains("w.safetensors"), e.getMessage());
        }
        CheckpointException big = assertThrows(CheckpointException.class,
                () -> StateDictLoader.loadExact(m, stateWith(m, "fc1.weight", 1e39, true), "w.safetensors"));
        assertTrue(big.getMessage().contains("fc1.weight") && big.getMessage().contains("float32"), big.getMessage());
        assertArrayEquals(before, m.stateDict().get("fc1.weight").toFloatArray(), "a refused load changes nothing");
        StateDictLoader.loadExact(m, stateWith(m, "fc1.weight", 3e38, true), "w.safetensors"); // in range: fine
    }
}

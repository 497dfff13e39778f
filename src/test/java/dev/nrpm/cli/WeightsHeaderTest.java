package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backends;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.NrpmException;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.checkpoint.CheckpointWriter;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.safetensors.SafetensorsContent;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.safetensors.SafetensorsWriter;
import dev.nrpm.io.TensorData;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --weights in this engine's format is checked against the model from the file's header alone:
 * another architecture, a tensor of the wrong shape or dtype, is refused naming it, and the model
 * is left as it was.
 */
class WeightsHeaderTest {
    @TempDir
    Path dir;

    private static final ModelSpec SPEC = new ModelSpec("mlp", InputShape.MNIST, 10, new int[] {784, 16, 10}, 64, false);

    private static Module model(int seed) {
        return SPEC.build(new ParamInit(Backends.get("cpu"), seed));
    }

    private Path saved() {
        Path file = dir.resolve("mlp.safetensors");
        CheckpointWriter.of(model(7)).architecture(SPEC.toMap()).write(file);
        return file;
    }

    /** The saved checkpoint with one tensor replaced, metadata unchanged. */
    private Path tampered(String key, HostTensor replacement) {
        SafetensorsContent c = SafetensorsReader.read(saved());
        Map<String, TensorData> tensors = new LinkedHashMap<>(c.tensors());
        tensors.put(key, replacement);
        Path file = dir.resolve("tampered.safetensors");
        SafetensorsWriter.write(file, c.metadata(), tensors);
        return file;
    }

    private static <E extends NrpmException> String refused(Class<E> type, Path file, String... parts) {
        Module target = model(1);
        float[] before = target.stateDict().get("fc1.weight").toFloatArray();
        Supplier<Weights.Loaded> load = () -> Weights.load(file, target, SPEC);
        String message = assertThrows(type, load::get).getMessage();
        for (String p : parts) {
            assertTrue(message.contains(p), message);
        }
        assertArrayEquals(before, target.stateDict().get("fc1.weight").toFloatArray(), "a refused load changes nothing");
        return message;
    }

    @Test
    void aMatchingCheckpointLoads() {
        Module target = model(1);
        Weights.load(saved(), target, SPEC);
        assertArrayEquals(model(7).stateDict().get("fc2.weight").toFloatArray(),
                target.stateDict().get("fc2.weight").toFloatArray());
    }

    @Test
    void wrongShapeIsRefusedNamingTheTensor() {
        float[] v = model(3).stateDict().get("fc1.weight").toFloatArray();
        refused(CheckpointException.class, tampered("fc1.weight", HostTensor.ofFloats(v, 784, 16)),
                "tensor 'fc1.weight' has shape [784, 16], the model's is [16, 784]", "tampered.safetensors");
    }

    @Test
    void integerTensorIsRefused() {
        refused(CheckpointException.class, tampered("fc2.bias", HostTensor.ofLongs(new long[10], 10)),
                "tensor 'fc2.bias' is I64");
    }

    @Test
    void anotherArchitectureIsRefused() {
        ModelSpec wider = new ModelSpec("mlp", InputShape.MNIST, 10, new int[] {784, 32, 10}, 64, false);
        Path file = dir.resolve("wider.safetensors");
        CheckpointWriter.of(wider.build(new ParamInit(Backends.get("cpu"), 2))).architecture(wider.toMap()).write(file);
        refused(InvalidSettingException.class, file, "wider.safetensors holds a", "not the requested");
    }
}

package dev.nrpm.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backends;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The zoo is the one list: every family builds, round-trips through a checkpoint's block, and is documented. */
class ModelZooTest {
    @Test
    void everyFamilyBuildsAndRoundTrips() {
        for (ModelFamily f : ModelZoo.families()) {
            ModelSpec spec = ModelSpec.of(f.name(), f.defaultInput()).withWidth(4);
            Module m = spec.build(new ParamInit(Backends.get("reference"), 1));
            assertTrue(m.stateDict().size() > 0, f.name());
            ModelSpec back = ModelSpec.fromMap(spec.toMap());
            assertEquals(spec, back, f.name());
            assertEquals(spec.describe(), back.describe());
            assertEquals(f, ModelZoo.family(f.name().toUpperCase(java.util.Locale.ROOT)));
        }
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> ModelZoo.family("vgg"));
        assertTrue(e.getMessage().contains(String.join(", ", ModelZoo.names())), e.getMessage());
        assertThrows(InvalidSettingException.class,
                () -> ModelSpec.of("mlp", InputShape.MNIST, 10, new int[] {784, 10, 9}, 64, false));
        assertThrows(InvalidSettingException.class, () -> ModelSpec.of("resnet18", InputShape.CIFAR, 10, null, 0, false));
    }

    @Test
    void theZooTableListsEveryFamily() throws IOException {
        Path readme = Path.of("models/README.md");
        Assumptions.assumeTrue(Files.isRegularFile(readme), () -> readme + " not found (run from the repository root)");
        String text = Files.readString(readme);
        for (String name : ModelZoo.names()) {
            assertTrue(text.contains("| `" + name + "` |"), "models/README.md has no row for " + name);
        }
    }
}

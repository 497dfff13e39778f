package dev.nrpm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Python scripts of bench/gpu run on the GPU machine, where a mistake costs device time: their
 * own --self-test (no torch, no GPU needed) runs here with every build.
 */
class GpuScriptsSelfTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compare.py", "torch_nrpm.py", "torch_train_step.py", "instructions_per_term.py"})
    void selfTestPasses(String script) throws IOException, InterruptedException {
        Path file = Path.of("bench/gpu", script);
        Assumptions.assumeTrue(Files.isRegularFile(file), () -> file + " not found (run from the repository root)");
        Process p;
        try {
            p = new ProcessBuilder("python3", file.toString(), "--self-test").redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no python3 here: " + e.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), script + " --self-test failed:\n" + out);
    }
}

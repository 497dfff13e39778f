package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import dev.nrpm.testing.ChildProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sm_80 build of the NRPM backward takes w' by copysignf, every other build (and the emulator
 * the conformance suite runs) by its sign bit (NRPM_BWD_SIGN_BITS in kernels/nrpm_fused.cuh):
 * src/test/cpp/sign_forms_test.cpp checks, with g++ on the kernel header itself, that both forms
 * give the same bits for every weight function.
 */
class NrpmSignFormsTest {
    @Test
    void bothFormsOfTheWeightDerivativeAgree(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Path.of("src/test/cpp/sign_forms_test.cpp");
        Assumptions.assumeTrue(Files.isRegularFile(source), () -> source + " not found (run from the repository root)");
        Path exe = dir.resolve("sign_forms_test");
        String built = run(60, "g++", "-std=c++17", "-O2", "-DNRPM_EMU", "-I", "kernels", "-Wno-unknown-pragmas",
                "-ffp-contract=off", "-o", exe.toString(), source.toString());
        assertTrue(Files.isExecutable(exe), "g++ failed:\n" + built);
        String out = run(60, exe.toString());
        assertTrue(out.contains(": 0 disagreements"), out);
    }

    private static String run(int seconds, String... command) throws IOException, InterruptedException {
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(new ProcessBuilder(command), Duration.ofSeconds(seconds));
        } catch (IOException e) {
            Assumptions.abort("cannot run " + command[0] + " here: " + e.getMessage());
            return "";
        }
        if (command[0].equals("g++")) {
            assertEquals(0, r.exitCode(), "g++ failed:\n" + r.output());
        }
        return r.output();
    }
}

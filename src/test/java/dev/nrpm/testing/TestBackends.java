package dev.nrpm.testing;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The backends a test can run on: the reference always, the fast ones where they are usable. */
public final class TestBackends {
    private TestBackends() {
    }

    public static Backend reference() {
        return Backends.get("reference");
    }

    /**
     * The fast backends the suites run on: cpu, cpu-java (its own convolutions, not oneDNN's), cuda,
     * and cuda-emu (the CUDA kernels on the CPU
     * emulator), or those listed in -Dnrpm.test.backends (comma-separated). Surefire's
     * "fake-driver" execution lists only cuda, which there is JCuda on kernels/emu's fake driver.
     */
    public static Stream<String> selected() {
        String only = System.getProperty("nrpm.test.backends", "");
        Stream<String> all = Stream.of("cpu", "cpu-java", "cuda", "cuda-emu");
        if (only.isBlank()) {
            return all;
        }
        List<String> listed = Arrays.asList(only.split("\\s*,\\s*"));
        return all.filter(listed::contains);
    }

    /** The {@link #selected()} backends usable here, by name. */
    public static List<String> fastNames() {
        List<String> out = new ArrayList<>();
        for (String name : (Iterable<String>) selected()::iterator) {
            if (Backends.isAvailable(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** The named backend, or the test is skipped with the reason it cannot run here. */
    public static Backend require(String name) {
        String reason = Backends.unavailableReason(name);
        Assumptions.assumeTrue(reason == null, () -> name + " backend not usable here: " + reason);
        return Backends.get(name);
    }
}

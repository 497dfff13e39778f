package dev.nrpm.testing;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** The backends a test can run on: the reference always, the fast ones where they are usable. */
public final class Backends4Test {
    private Backends4Test() {
    }

    public static Backend reference() {
        return Backends.get("reference");
    }

    /** The fast backends usable here (cpu, cuda, and cuda-emu: the CUDA kernels on the CPU emulator), by name. */
    public static List<String> fastNames() {
        List<String> out = new ArrayList<>();
        for (String name : new String[] {"cpu", "cuda", "cuda-emu"}) {
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

package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BackendProvider;

/** Registers the CPU backend; usable wherever ND4J's native library loads. */
public final class CpuProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j");
        } catch (ClassNotFoundException | LinkageError e) {
            return "ND4J is not on the class path (a GPU-only bundle leaves it out)";
        }
        try {
            Nd4jOps.probe();
            return null;
        } catch (Throwable t) {
            return "ND4J's native library did not load: " + t;
        }
    }

    @Override
    public Backend create() {
        return new CpuBackend();
    }
}

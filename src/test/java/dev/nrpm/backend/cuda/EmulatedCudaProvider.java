package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BackendProvider;
import java.nio.file.Path;

/**
 * Test-only backend "cuda-emu": {@link CudaBackend} on {@link EmulatedDevice}. Lowest priority,
 * so "auto" never picks it; the conformance suites name it explicitly.
 */
public final class EmulatedCudaProvider implements BackendProvider {
    private static Path lib() {
        String p = System.getProperty("nrpm.emu.lib");
        return p == null ? null : Path.of(p);
    }

    @Override
    public String name() {
        return "cuda-emu";
    }

    @Override
    public int priority() {
        return -10;
    }

    @Override
    public String unavailableReason() {
        return EmulatedDevice.probe(lib());
    }

    @Override
    public Backend create() {
        return new CudaBackend(new EmulatedDevice(lib()), "cuda-emu");
    }
}

package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BackendProvider;

/**
 * Test-only backend "cpu-java": the CPU backend with its own LPM convolutions (im2col + OpenBLAS,
 * FewChannelConv) instead of oneDNN's, so that the conformance suites cover the path a machine
 * without AVX2 runs, on every machine. Lowest priority, so "auto" never picks it.
 */
public final class JavaConvCpuProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu-java";
    }

    @Override
    public int priority() {
        return -10;
    }

    @Override
    public String unavailableReason() {
        return new CpuProvider().unavailableReason();
    }

    @Override
    public Backend create() {
        return CpuBackend.withOwnConvolutions("cpu-java");
    }
}

package dev.nrpm.backend.reference;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BackendProvider;

/** Registers the float64 reference backend (always available, never chosen by "auto"). */
public final class ReferenceProvider implements BackendProvider {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}

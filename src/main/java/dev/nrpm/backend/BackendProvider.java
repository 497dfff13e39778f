package dev.nrpm.backend;

/**
 * Makes one kind of backend, found through {@link java.util.ServiceLoader}. Providers live in the
 * backend's own package, so the core never links to ND4J or JCuda.
 */
public interface BackendProvider {

    /** The name users pass to --device / -Dnrpm.backend: reference, cpu, cuda. */
    String name();

    /** Higher wins when the device is "auto". */
    int priority();

    /**
     * Whether this backend can run here, probed once (native libraries load, a device exists).
     * Returns null when usable, else a one-line reason.
     */
    String unavailableReason();

    /** Creates the backend; called only after {@link #unavailableReason()} returned null. */
    Backend create();
}

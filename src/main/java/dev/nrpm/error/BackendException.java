package dev.nrpm.error;

/** A backend that cannot be used: not present, failed to initialise, or a failed native call. */
public class BackendException extends NrpmException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}

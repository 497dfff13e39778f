package dev.nrpm.error;

/** Base of every error the engine raises on purpose; the message names the culprit (layer, file, argument). */
public class NrpmException extends RuntimeException {
    public NrpmException(String message) {
        super(message);
    }

    public NrpmException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.nrpm.error;

/** NaN or infinite values where the operation needs finite ones (NRPM inputs, a diverged loss). */
public class NonFiniteException extends NrpmException {
    public NonFiniteException(String message) {
        super(message);
    }

    public NonFiniteException(String message, Throwable cause) {
        super(message, cause);
    }
}

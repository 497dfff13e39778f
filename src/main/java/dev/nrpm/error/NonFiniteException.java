package dev.nrpm.error;

/** NaN or infinite values where the operation needs finite ones (NRPM inputs, a diverged loss). */
public class NonFiniteException extends NrpmException {
    public NonFiniteException(String message) {
        super(message);
    }

    public NonFiniteException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "WHAT holds BAD NaN or infinite values of N". */
    public static NonFiniteException counted(String what, long bad, long n) {
        return new NonFiniteException(what + " holds " + bad + " NaN or infinite value" + (bad == 1 ? "" : "s") + " of " + n);
    }
}

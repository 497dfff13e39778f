package dev.nrpm.error;

/** Tensor shapes that do not fit the operation (wrong rank, mismatched dimensions). */
public class ShapeException extends NrpmException {
    public ShapeException(String message) {
        super(message);
    }
}

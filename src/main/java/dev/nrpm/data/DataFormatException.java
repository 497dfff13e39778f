package dev.nrpm.data;

import dev.nrpm.error.NrpmException;

/**
 * A data file whose content does not match its format: wrong magic number, a header that
 * disagrees with the file length, labels out of range, corrupt compression. The message is one
 * line that starts with the file name, e.g. {@code "t10k-images-idx3-ubyte.gz: wrong magic number
 * 2049, expected 2051 (an IDX image file)"}.
 */
public class DataFormatException extends NrpmException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

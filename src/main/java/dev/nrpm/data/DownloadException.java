package dev.nrpm.data;

import dev.nrpm.error.NrpmException;

/**
 * A file that could not be downloaded from any of its URLs: unreachable hosts, HTTP errors,
 * timeouts, or content whose MD5 is not the expected one. The message is one line naming the file
 * and the reason each URL failed.
 */
public class DownloadException extends NrpmException {
    public DownloadException(String message) {
        super(message);
    }

    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}

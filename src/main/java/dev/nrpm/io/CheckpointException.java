package dev.nrpm.io;

import dev.nrpm.error.NrpmException;
import java.nio.file.Path;

/**
 * A checkpoint that cannot be read, written or loaded: malformed or truncated file, forbidden
 * pickle content, a missing storage, a state dict that does not fit the model. The message is one
 * line and starts with the file (or the source the state dict came from).
 */
public class CheckpointException extends NrpmException {
    private final String source;

    public CheckpointException(String source, String detail) {
        super(source + ": " + oneLine(detail));
        this.source = source;
    }

    public CheckpointException(String source, String detail, Throwable cause) {
        super(source + ": " + oneLine(detail), cause);
        this.source = source;
    }

    public CheckpointException(Path file, String detail) {
        this(String.valueOf(file), detail);
    }

    public CheckpointException(Path file, String detail, Throwable cause) {
        this(String.valueOf(file), detail, cause);
    }

    /** The file (or other source) the error is about, as given by the caller. */
    public String source() {
        return source;
    }

    /** Messages quote names taken from untrusted files; keep them on one line and short. */
    static String oneLine(String s) {
        if (s == null) {
            return "null";
        }
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** A name or value from a file, quoted for a message: control characters escaped, long ones cut. */
    public static String quote(Object value) {
        String s = String.valueOf(value);
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(s.length(), 120);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > n) {
            b.append("...");
        }
        return b.append('\'').toString();
    }
}

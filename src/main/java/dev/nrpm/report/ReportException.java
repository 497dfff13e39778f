package dev.nrpm.report;

import dev.nrpm.error.NrpmException;

/**
 * A report that could not be produced: an evaluation result that breaks the invariants the
 * formats rely on (curves over different budgets, counts above n, duplicate labels), a pm value
 * with no JSON form, or a report file that could not be written. The one-line message names the
 * file or the curve at fault.
 */
public class ReportException extends NrpmException {
    /** How {@link dev.nrpm.io.AtomicFile} reports a report file it could not write. */
    public static final dev.nrpm.io.AtomicFile.Failure WRITING =
            (target, detail, cause) -> new ReportException(target + ": " + detail, cause);

    public ReportException(String message) {
        super(message);
    }

    public ReportException(String message, Throwable cause) {
        super(message, cause);
    }
}

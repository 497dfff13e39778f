package dev.nrpm.eval;

/**
 * One result of the checks that run with every evaluation (gradient masking, attack failures):
 * what was seen, by which attack, on what share of the samples. Warnings say the robust accuracy
 * may be overstated; notes record a check that ran and what it saw.
 *
 * @param code     a stable key for scripts ("gradient-free-broke", "zero-gradient", ...)
 * @param attack   the attack (member) concerned
 * @param budget   the budget concerned, NaN where none
 * @param count    samples involved
 * @param of       out of how many samples
 */
public record Finding(String code, Severity severity, String attack, double budget, long count, long of,
                      String message) {

    public enum Severity { WARNING, NOTE }

    public double fraction() {
        return of == 0 ? 0 : (double) count / of;
    }

    public boolean isWarning() {
        return severity == Severity.WARNING;
    }
}

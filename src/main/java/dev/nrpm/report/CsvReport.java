package dev.nrpm.report;

import dev.nrpm.io.AtomicFile;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;

import java.nio.file.Path;

/**
 * The evaluation as a long-format CSV table, one row per (configuration, budget), ready for
 * pandas, R or a spreadsheet:
 *
 * <pre>
 * label,budget,correct,n,accuracy
 * LPM,0.0,973,1000,0.973
 * "NRPM K=3, lambda=0.3",0.0,970,1000,0.97
 * </pre>
 *
 * Labels holding a comma, a double quote or a line break are quoted as RFC 4180 says (quotes
 * doubled). Budgets and accuracies (fractions) are written with full precision and no exponent.
 * Lines end in '\n' rather than RFC 4180's CRLF: every CSV reader accepts it, and line-oriented
 * Unix tools would otherwise see a stray '\r' on the accuracy column.
 */
public final class CsvReport {
    public static final String HEADER = "label,budget,correct,n,accuracy";

    private CsvReport() {
    }

    public static String toCsv(EvalReport report) {
        ReportChecks.require(report);
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        for (RobustnessCurve curve : report.curves()) {
            String label = field(curve.label());
            double[] budgets = curve.budgets();
            for (int i = 0; i < budgets.length; i++) {
                out.append(label).append(',')
                        .append(Decimals.exact(budgets[i])).append(',')
                        .append(curve.correct()[i]).append(',')
                        .append(curve.n()).append(',')
                        .append(Decimals.exact(curve.accuracy(i))).append('\n');
            }
        }
        return out.toString();
    }

    /** Writes {@link #toCsv} to file atomically (UTF-8), creating parent directories. */
    public static void write(EvalReport report, Path file) {
        AtomicFile.writeString(file, toCsv(report), ReportException.WRITING);
    }

    /** One field, quoted only where RFC 4180 requires it. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}

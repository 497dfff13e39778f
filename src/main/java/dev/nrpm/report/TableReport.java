package dev.nrpm.report;

import dev.nrpm.eval.AttackBreakdown;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.Finding;
import dev.nrpm.eval.RobustnessCurve;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The evaluation as plain text for a terminal: one line naming what was evaluated, then a grid
 * with one row per configuration and one column per attack budget, each cell the robust accuracy
 * in percent with one decimal:
 *
 * <pre>
 * model=lenet  weights=models/lenet.pt  data=mnist  attack=pgd-linf  n=1000  device=cpu  seconds=12.3
 * budget       0  0.05   0.1   0.2   0.3
 * LPM       97.3  90.1  75.2  30.0   5.1
 * NRPM K=3  97.0  93.4  88.0  70.2  40.3
 * </pre>
 *
 * Column widths follow the contents, labels are left-aligned and numbers right-aligned, so every
 * grid line has the same length and no line ends in spaces. Budgets print with as few digits as
 * keep them apart (8/255 as 0.0314). The text is returned, not printed, so callers choose the stream.
 */
public final class TableReport {
    private static final String GAP = "  ";

    private TableReport() {
    }

    public static String render(EvalReport report) {
        ReportChecks.require(report);
        List<RobustnessCurve> curves = report.curves();
        int rows = curves.size() + 1;
        int cols = report.budgets().length + 1;
        String[][] cells = new String[rows][cols];
        cells[0][0] = "budget";
        String[] budgets = Decimals.compact(report.budgets());
        System.arraycopy(budgets, 0, cells[0], 1, budgets.length);
        for (int r = 1; r < rows; r++) {
            RobustnessCurve curve = curves.get(r - 1);
            cells[r][0] = printable(curve.label());
            for (int c = 1; c < cols; c++) {
                cells[r][c] = String.format(Locale.ROOT, "%.1f", 100.0 * curve.accuracy(c - 1));
            }
        }

        StringBuilder out = new StringBuilder(header(report)).append('\n');
        grid(out, cells);
        for (RobustnessCurve curve : curves) {
            breakdown(out, curve, curves.size() > 1);
        }
        for (RobustnessCurve curve : curves) {
            for (Finding f : curve.findings()) {
                out.append(f.isWarning() ? "warning: " : "note: ")
                        .append(curves.size() > 1 ? printable(curve.label()) + ": " : "")
                        .append(printable(f.message())).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * AutoAttack's log as a grid, for attacks of several members: per attacked budget, the clean
     * accuracy, then the robust accuracy after each member in the order they ran, with each
     * member's time in seconds.
     */
    private static void breakdown(StringBuilder out, RobustnessCurve curve, boolean named) {
        List<AttackBreakdown> bds = curve.breakdowns();
        if (bds.isEmpty() || bds.get(0).members().size() < 2) {
            return; // one attack: the grid above says it all, and the header has the time
        }
        List<String> members = bds.get(0).members();
        int cols = members.size() + 2;
        String[][] cells = new String[bds.size() + 1][cols];
        cells[0][0] = "robust after";
        cells[0][1] = "clean";
        for (int m = 0; m < members.size(); m++) {
            cells[0][m + 2] = members.get(m);
        }
        double[] values = new double[bds.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = bds.get(i).budget();
        }
        String[] budgets = Decimals.compact(values);
        double n = Math.max(1, curve.n());
        for (int r = 0; r < bds.size(); r++) {
            AttackBreakdown bd = bds.get(r);
            long clean = java.util.Arrays.stream(bd.outcome()).filter(o -> o != AttackBreakdown.MISCLASSIFIED).count();
            cells[r + 1][0] = "budget " + budgets[r];
            cells[r + 1][1] = String.format(Locale.ROOT, "%.1f", 100.0 * clean / n);
            for (int m = 0; m < members.size(); m++) {
                cells[r + 1][m + 2] = String.format(Locale.ROOT, "%.1f (%ds)",
                        100.0 * bd.robustAfter()[m] / n, Math.round(bd.seconds()[m]));
            }
        }
        out.append('\n');
        if (named) {
            out.append(printable(curve.label())).append(":\n");
        }
        grid(out, cells);
    }

    /** Rows of cells, columns as wide as their widest cell, the first left-aligned, the rest right-aligned. */
    private static void grid(StringBuilder out, String[][] cells) {
        int cols = cells[0].length;
        int[] width = new int[cols];
        for (String[] row : cells) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], displayWidth(row[c]));
            }
        }
        for (String[] row : cells) {
            pad(out, row[0], width[0], false);
            for (int c = 1; c < cols; c++) {
                out.append(GAP);
                pad(out, row[c], width[c], true);
            }
            out.append('\n');
        }
    }

    /** "model=... weights=... data=... attack=... n=... device=... seconds=...", leaving out unknown (null) values. */
    private static String header(EvalReport report) {
        List<String> parts = new ArrayList<>();
        add(parts, "model", report.model());
        add(parts, "weights", report.weights());
        add(parts, "data", report.data());
        add(parts, "attack", report.attack());
        add(parts, "n", Long.toString(report.n()));
        add(parts, "device", report.device());
        add(parts, "seed", report.seed() == null ? null : report.seed().toString());
        add(parts, "seconds", String.format(Locale.ROOT, "%.1f", report.seconds()));
        return String.join(GAP, parts);
    }

    private static void add(List<String> parts, String key, String value) {
        if (value != null && !value.isBlank()) {
            parts.add(key + "=" + printable(value));
        }
    }

    /** Tabs and line breaks in a label would break the grid; they become spaces. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        return b.toString();
    }

    /** Characters as a terminal counts them, one per code point (no East Asian double width). */
    private static int displayWidth(String s) {
        return s.codePointCount(0, s.length());
    }

    private static void pad(StringBuilder out, String s, int width, boolean right) {
        int fill = width - displayWidth(s);
        if (right) {
            out.append(" ".repeat(fill)).append(s);
        } else {
            out.append(s).append(" ".repeat(fill));
        }
    }
}

package dev.nrpm.report;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.nrpm.report.Evals.BUDGETS;
import static dev.nrpm.report.Evals.curve;
import static dev.nrpm.report.Evals.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TableReportTest {
    /** The grid: every line after the header line. */
    private static List<String> grid(String table) {
        List<String> lines = Arrays.asList(table.split("\n", -1));
        assertEquals("", lines.get(lines.size() - 1), "the table ends with a newline");
        return lines.subList(1, lines.size() - 1);
    }

    /** The last k whitespace-separated fields of a line (labels may hold spaces, numbers do not). */
    private static List<String> lastFields(String line, int k) {
        String[] f = line.trim().split(" +");
        return Arrays.asList(f).subList(f.length - k, f.length);
    }

    private static void assertAligned(String table) {
        List<String> grid = grid(table);
        int width = grid.get(0).length();
        for (String line : grid) {
            assertEquals(width, line.length(), "every grid line has the same width:\n" + table);
            assertFalse(line.endsWith(" "), "no trailing spaces: '" + line + "'");
        }
        // right-aligned numbers: each column ends at the same position in every line
        String header = grid.get(0);
        for (String line : grid) {
            for (int col = 0; col < width; col++) {
                boolean endsHere = col == width - 1 || line.charAt(col + 1) == ' ';
                if (header.charAt(col) != ' ' && (col == width - 1 || header.charAt(col + 1) == ' ') && col > "budget".length()) {
                    assertTrue(endsHere && line.charAt(col) != ' ', "column ending at " + col + " misaligned:\n" + table);
                }
            }
        }
    }

    @Test
    void rendersHeaderBudgetsAndPercentCells() {
        String table = TableReport.render(Evals.twoCurves());
        String[] lines = table.split("\n");
        assertEquals("model=lenet  weights=models/lenet.pt  data=mnist  attack=pgd-linf  n=1000  device=cpu  seconds=12.3", lines[0]);
        assertEquals("budget       0  0.05   0.1   0.2   0.3", lines[1]);
        assertEquals("LPM       97.3  90.1  75.2  30.0   5.1", lines[2]);
        assertEquals("NRPM K=3  97.0  93.4  88.0  70.2  40.3", lines[3]);
        assertEquals(4, lines.length);
        assertAligned(table);
    }

    @Test
    void roundsToOneDecimalAndShowsFullAccuracy() {
        double[] b = {0, 0.1, 0.2, 0.3};
        String table = TableReport.render(report(curve("thirds", b, 3, 3, 2, 1, 0)));
        assertEquals(List.of("100.0", "66.7", "33.3", "0.0"), lastFields(grid(table).get(1), 4));
        assertAligned(table);
    }

    @Test
    void staysAlignedFromOneToTwentyBudgetsWithLongLabels() {
        for (int budgets : new int[] {1, 2, 7, 20}) {
            for (int labelLength : new int[] {1, 12, 80}) {
                EvalReport r = Evals.many(5, budgets, labelLength);
                String table = TableReport.render(r);
                assertAligned(table);
                List<String> grid = grid(table);
                assertEquals(6, grid.size());
                for (int c = 0; c < 5; c++) {
                    RobustnessCurve curve = r.curves().get(c);
                    List<String> cells = lastFields(grid.get(c + 1), budgets);
                    for (int i = 0; i < budgets; i++) {
                        assertEquals(String.format("%.1f", 100.0 * curve.correct()[i] / curve.n()), cells.get(i));
                    }
                    assertTrue(grid.get(c + 1).startsWith(curve.label()));
                }
            }
        }
    }

    @Test
    void budgetHeadersAreShortButDistinct() {
        double[] b = {0, 1 / 255.0, 2 / 255.0, 8 / 255.0, 0.1, 0.1000001};
        String table = TableReport.render(report(curve("LPM", b, 10, 9, 8, 7, 6, 5, 4)));
        assertEquals(List.of("budget", "0", "0.00392", "0.00784", "0.0314", "0.1", "0.1000001"),
                Arrays.asList(grid(table).get(0).split(" +")));
        assertAligned(table);
    }

    @Test
    void controlCharactersInLabelsDoNotBreakTheGrid() {
        String table = TableReport.render(report(curve("two\nlines\tand tab", BUDGETS, 4, 4, 3, 2, 1, 0)));
        assertEquals(3, table.split("\n").length);
        assertTrue(table.contains("two lines and tab"));
        assertAligned(table);
    }

    @Test
    void leavesUnknownValuesOutOfTheHeader() {
        String header = TableReport.render(Evals.many(1, 3, 5)).split("\n")[0];
        assertEquals("model=resnet18  data=cifar10  attack=pgd-linf  n=10000  device=cuda:0  seconds=3600.5", header);
    }

    @Test
    void refusesInconsistentReportsWithTypedErrors() {
        ReportException e = assertThrows(ReportException.class, () -> TableReport.render(report(
                curve("LPM", BUDGETS, 10, 9, 8, 7, 6, 5), curve("NRPM", new double[] {0, 0.1}, 10, 9, 8))));
        assertTrue(e.getMessage().contains("'NRPM'") && e.getMessage().contains("budgets"), e.getMessage());

        e = assertThrows(ReportException.class, () -> TableReport.render(report(
                curve("LPM", BUDGETS, 10, 9, 8, 7, 6, 5), curve("LPM", BUDGETS, 10, 9, 8, 7, 6, 5))));
        assertTrue(e.getMessage().contains("'LPM' appears twice"), e.getMessage());

        e = assertThrows(ReportException.class, () -> TableReport.render(report(
                curve("LPM", BUDGETS, 10, 9, 8, 7, 6, 5), curve("NRPM", BUDGETS, 20, 9, 8, 7, 6, 5))));
        assertTrue(e.getMessage().contains("n = 20"), e.getMessage());

        e = assertThrows(ReportException.class, () -> TableReport.render(report(curve("LPM", BUDGETS, 10, 11, 8, 7, 6, 5))));
        assertTrue(e.getMessage().contains("correct = 11") && e.getMessage().contains("[0, n = 10]"), e.getMessage());

        e = assertThrows(ReportException.class, () -> TableReport.render(report()));
        assertTrue(e.getMessage().contains("no curves"), e.getMessage());

        e = assertThrows(ReportException.class, () -> TableReport.render(report(curve("LPM", new double[] {Double.NaN}, 10, 1))));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}

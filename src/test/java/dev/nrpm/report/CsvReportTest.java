package dev.nrpm.report;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.nrpm.report.Evals.BUDGETS;
import static dev.nrpm.report.Evals.curve;
import static dev.nrpm.report.Evals.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvReportTest {
    @TempDir
    Path tmp;

    /** An RFC 4180 reader, independent of the writer: quoted fields may hold commas, quotes ("") and line breaks. */
    static List<List<String>> parse(String csv) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < csv.length(); i++) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                assertEquals(0, field.length(), "a quote may only open a field");
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\n') {
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        assertFalse(quoted, "unterminated quote");
        assertTrue(row.isEmpty() && field.length() == 0, "the last line ends with a newline");
        return rows;
    }

    @Test
    void oneRowPerCurveAndBudget() {
        EvalReport r = Evals.twoCurves();
        String csv = CsvReport.toCsv(r);
        assertTrue(csv.startsWith("label,budget,correct,n,accuracy\nLPM,0.0,973,1000,0.973\nLPM,0.05,901,1000,0.901\n"), csv);
        List<List<String>> rows = parse(csv);
        assertEquals(List.of("label", "budget", "correct", "n", "accuracy"), rows.get(0));
        assertEquals(1 + 2 * BUDGETS.length, rows.size());
        int k = 1;
        for (RobustnessCurve c : r.curves()) {
            for (int i = 0; i < BUDGETS.length; i++) {
                List<String> row = rows.get(k++);
                assertEquals(c.label(), row.get(0));
                assertEquals(BUDGETS[i], Double.parseDouble(row.get(1)), 0.0);
                assertEquals(c.correct()[i], Long.parseLong(row.get(2)));
                assertEquals(1000, Long.parseLong(row.get(3)));
                assertEquals((double) c.correct()[i] / 1000, Double.parseDouble(row.get(4)), 0.0);
            }
        }
    }

    @Test
    void labelsWithCommasQuotesAndLineBreaksAreQuoted() {
        String[] labels = {"NRPM K=3, lambda=0.3", "say \"robust\"", "two\nlines", "plain", "\"", ","};
        List<RobustnessCurve> curves = new ArrayList<>();
        for (String label : labels) {
            curves.add(curve(label, new double[] {0}, 4, 3));
        }
        EvalReport r = new EvalReport("m", "w", "d", "a", "cpu", 1, curves);
        String csv = CsvReport.toCsv(r);
        assertTrue(csv.contains("\n\"NRPM K=3, lambda=0.3\",0.0,3,4,0.75\n"), csv);
        assertTrue(csv.contains("\n\"say \"\"robust\"\"\",0.0,"), csv);
        assertTrue(csv.contains("\nplain,0.0,"), "quoted only where needed: " + csv);
        List<List<String>> rows = parse(csv);
        assertEquals(1 + labels.length, rows.size());
        for (int i = 0; i < labels.length; i++) {
            assertEquals(labels[i], rows.get(i + 1).get(0));
            assertEquals(5, rows.get(i + 1).size());
        }
    }

    @Test
    void fullPrecisionWithoutExponents() {
        double[] b = {1e-5, 8 / 255.0};
        String csv = CsvReport.toCsv(Evals.report(curve("x", b, 300_000, 1, 299_999)));
        assertTrue(csv.contains("\nx,0.00001,1,300000,0.00000333333"), csv);
        assertFalse(csv.matches("(?s).*[0-9][eE][-+]?[0-9].*"), csv);
        List<List<String>> rows = parse(csv);
        assertEquals(8 / 255.0, Double.parseDouble(rows.get(2).get(1)), 0.0);
        assertEquals(1 / 300_000.0, Double.parseDouble(rows.get(1).get(4)), 0.0);
    }

    @Test
    void writeIsUtf8AndAtomic() throws IOException {
        Path f = tmp.resolve("out/eval.csv");
        EvalReport r = Evals.report(curve("λ=0.3 – ünïcode", BUDGETS, 10, 9, 8, 7, 6, 5));
        CsvReport.write(r, f);
        assertArrayEquals(CsvReport.toCsv(r).getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));
        assertEquals(List.of("eval.csv"), names(f.getParent()));
        Files.writeString(f, "old");
        Path dirAsTarget = Files.createDirectory(tmp.resolve("out/dir.csv"));
        assertThrows(ReportException.class, () -> CsvReport.write(r, dirAsTarget));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("dir.csv", "eval.csv"), names(f.getParent()));
    }
}

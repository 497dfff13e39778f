package dev.nrpm.report;

import dev.nrpm.eval.EvalReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.nrpm.report.Evals.BUDGETS;
import static dev.nrpm.report.Evals.curve;
import static dev.nrpm.report.Evals.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CurvePlotTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path tmp;

    /** Checks the file is a PNG of the promised size and returns its pixels. */
    private static int[] png(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "PNG signature of " + file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(CurvePlot.WIDTH, image.getWidth());
        assertEquals(CurvePlot.HEIGHT, image.getHeight());
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    @Test
    void rendersAValidPngHeadless() throws IOException {
        Path f = tmp.resolve("plots/curves.png");
        CurvePlot.write(Evals.twoCurves(), f);
        int[] pixels = png(f);
        assertEquals("true", System.getProperty("java.awt.headless"), "set by CurvePlot before AWT loads");
        assertTrue(GraphicsEnvironment.isHeadless(), "no display is needed, nor used");
        assertEquals(List.of("curves.png"), names(f.getParent()));
        // something was drawn: not a blank canvas
        assertTrue(Arrays.stream(pixels).distinct().count() > 20);
    }

    @Test
    void differentDataGiveDifferentImagesAndTheSameDataTheSame() throws IOException {
        EvalReport a = Evals.twoCurves();
        EvalReport b = Evals.report(curve("LPM", BUDGETS, 1000, 973, 901, 752, 300, 51),
                curve("NRPM K=3", BUDGETS, 1000, 970, 934, 880, 702, 203)); // one point moved
        CurvePlot.write(a, tmp.resolve("a.png"));
        CurvePlot.write(a, tmp.resolve("a2.png"));
        CurvePlot.write(b, tmp.resolve("b.png"));
        assertArrayEquals(png(tmp.resolve("a.png")), png(tmp.resolve("a2.png")), "rendering is deterministic");
        assertFalse(Arrays.equals(png(tmp.resolve("a.png")), png(tmp.resolve("b.png"))));
    }

    @Test
    void oneBudgetAndManyCurvesRender() throws IOException {
        CurvePlot.write(Evals.report(curve("clean only", new double[] {0}, 10, 9)), tmp.resolve("one.png"));
        png(tmp.resolve("one.png"));
        CurvePlot.write(Evals.many(8, 20, 40), tmp.resolve("many.png"));
        png(tmp.resolve("many.png"));
    }

    @Test
    void theChartCarriesTitleAxesAndOneSeriesPerConfiguration() {
        XYChart chart = CurvePlot.chart(Evals.twoCurves());
        assertEquals("lenet on mnist, pgd-linf attack (n = 1000)", chart.getTitle());
        assertEquals("attack budget (L-inf epsilon)", chart.getXAxisTitle());
        assertEquals("robust accuracy (%)", chart.getYAxisTitle());
        assertEquals(List.of("LPM", "NRPM K=3"), List.copyOf(chart.getSeriesMap().keySet()));
        double[] y = chart.getSeriesMap().get("LPM").getYData();
        assertArrayEquals(new double[] {97.3, 90.1, 75.2, 30.0, 5.1}, y, 1e-9);
        assertArrayEquals(BUDGETS, chart.getSeriesMap().get("LPM").getXData(), 0.0);

        EvalReport unknowns = new EvalReport(null, null, null, null, null, 0, Evals.twoCurves().curves());
        assertEquals("model (n = 1000)", CurvePlot.chart(unknowns).getTitle());
    }

    @Test
    void theBudgetAxisNamesTheNorm() {
        assertEquals("attack budget (L-inf epsilon)", CurvePlot.budgetAxisTitle("pgd-linf"));
        assertEquals("attack budget (L-inf epsilon)", CurvePlot.budgetAxisTitle("PGD_L_inf"));
        assertEquals("attack budget (L-inf epsilon)", CurvePlot.budgetAxisTitle("fgsm"));
        assertEquals("attack budget (L-inf epsilon)", CurvePlot.budgetAxisTitle("pgd"));
        assertEquals("attack budget (L2 epsilon)", CurvePlot.budgetAxisTitle("pgd-l2"));
        assertEquals("attack budget (L1 epsilon)", CurvePlot.budgetAxisTitle("apgd-L1"));
        assertEquals("attack budget (epsilon of the square attack)", CurvePlot.budgetAxisTitle("square"));
        assertEquals("attack budget (epsilon)", CurvePlot.budgetAxisTitle(null));
    }

    @Test
    void anAwtFailureWhileDrawingBecomesATypedErrorWithAHint() throws IOException {
        Path f = Files.writeString(tmp.resolve("curves.png"), "old");
        XYChart broken = new XYChart(CurvePlot.WIDTH, CurvePlot.HEIGHT) {
            @Override
            public void paint(Graphics2D g, int width, int height) {
                throw new Error("Probable fatal error:No fonts found."); // what a JDK without fonts throws
            }
        };
        ReportException e = assertThrows(ReportException.class, () -> CurvePlot.write(broken, f));
        assertTrue(e.getMessage().startsWith(f + ": cannot render the chart"), e.getMessage());
        assertTrue(e.getMessage().contains("install fontconfig and a font package"), e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("curves.png"), names(tmp));
    }

    @Test
    void failuresAreTypedAndLeaveTheOldFile() throws IOException {
        Path f = Files.writeString(tmp.resolve("curves.png"), "old");
        ReportException e = assertThrows(ReportException.class, () -> CurvePlot.write(Evals.report(), f));
        assertTrue(e.getMessage().contains("no curves"), e.getMessage());
        Path blocked = f.resolve("x.png");
        e = assertThrows(ReportException.class, () -> CurvePlot.write(Evals.twoCurves(), blocked));
        assertTrue(e.getMessage().contains(blocked.toString()), e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("curves.png"), names(tmp));
    }

    /** Where charts can be drawn (as in this JVM, which just drew some), the check must not refuse them. */
    @Test
    void plottingIsReportedAvailableWhereItIs() {
        assertEquals(null, PlotSupport.unavailableReason());
    }
}

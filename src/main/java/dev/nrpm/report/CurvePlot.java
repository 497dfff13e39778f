package dev.nrpm.report;

import dev.nrpm.io.AtomicFile;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;

import java.awt.Color;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The robustness curves as a PNG line chart (800 x 500): robust accuracy in percent (the axis
 * fixed to 0..100, so that charts of different runs compare at a glance) against the attack
 * budget, one line with markers per configuration, a legend, and a title naming model, data and
 * attack. Drawn with XChart into an image in memory; no display is needed.
 */
public final class CurvePlot {
    public static final int WIDTH = 800;
    public static final int HEIGHT = 500;

    static {
        // before the first AWT class loads: on a server without a display, AWT must not try to
        // reach one. An explicit -Djava.awt.headless=false from the user is left alone.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private CurvePlot() {
    }

    /**
     * The chart, for callers that want to restyle it before {@link #write(XYChart, Path)}.
     * The x-axis title names what the budgets measure, as the attack registry says
     * ({@link EvalReport#budgetTitle()}); reports made without it fall back on
     * {@link #budgetAxisTitle(String)}.
     */
    public static XYChart chart(EvalReport report) {
        ReportChecks.require(report);
        XYChart chart = new XYChartBuilder()
                .width(WIDTH).height(HEIGHT)
                .title(title(report))
                .xAxisTitle(report.budgetTitle() != null ? "attack budget (" + report.budgetTitle() + ")"
                        : budgetAxisTitle(report.attack()))
                .yAxisTitle("robust accuracy (%)")
                .build();
        XYStyler style = chart.getStyler();
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotBackgroundColor(Color.WHITE);
        style.setPlotBorderColor(Color.GRAY);
        style.setLegendBorderColor(Color.LIGHT_GRAY);
        // accuracy falls as the budget grows, so the lower left is where curves rarely are
        style.setLegendPosition(Styler.LegendPosition.InsideSW);
        style.setMarkerSize(7);
        style.setPlotGridLinesColor(new Color(0xE0E0E0));
        style.setYAxisMin(0.0);
        style.setYAxisMax(100.0);
        style.setYAxisDecimalPattern("0");
        style.setLocale(Locale.ROOT); // "0.05", never "0,05"
        // XChart's default pattern prints ".01" and, at steps of 4/255, "0.015686274509804"
        style.setxAxisTickLabelsFormattingFunction(x -> Decimals.rounded(x, 3));

        double[] budgets = report.budgets();
        for (RobustnessCurve curve : report.curves()) {
            double[] percent = curve.accuracies();
            for (int i = 0; i < percent.length; i++) {
                percent[i] *= 100;
            }
            XYSeries series = chart.addSeries(curve.label(), budgets, percent);
            series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line); // with the theme's markers, one shape per series
        }
        return chart;
    }

    /** Renders report's chart to file as PNG, atomically, creating parent directories. */
    public static void write(EvalReport report, Path file) {
        write(chart(report), file);
    }

    /** Renders any chart to file as PNG, atomically, creating parent directories. */
    public static void write(XYChart chart, Path file) {
        try {
            AtomicFile.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG),
                    ReportException.WRITING);
        } catch (ReportException e) {
            throw e;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // where a JDK finds no fonts, AWT fails with an NPE, an UnsatisfiedLinkError or a bare
            // Error("Probable fatal error: No fonts found"), none of which tells the user what to do
            throw new ReportException(file + ": cannot render the chart (" + e + ")" + fontHint(e), e);
        }
    }

    /**
     * "attack budget (L-inf epsilon)" for L-inf attacks (named so, or FGSM/PGD/BIM by default),
     * "(L2 epsilon)" / "(L1 epsilon)" where the name says so, else "(epsilon of the &lt;attack&gt; attack)".
     */
    public static String budgetAxisTitle(String attack) {
        if (attack == null || attack.isBlank()) {
            return "attack budget (epsilon)";
        }
        // "pgd-l-inf", "PGD_Linf", "apgd-l2" all reduce to one spelling of the norm
        String a = attack.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        if (a.contains("linf")) {
            return "attack budget (L-inf epsilon)";
        }
        if (a.contains("l2")) {
            return "attack budget (L2 epsilon)";
        }
        if (a.contains("l1")) {
            return "attack budget (L1 epsilon)";
        }
        if (a.contains("fgsm") || a.contains("pgd") || a.contains("bim")) {
            return "attack budget (L-inf epsilon)"; // their usual norm when none is named
        }
        return "attack budget (epsilon of the " + attack + " attack)";
    }

    /** "lenet on mnist, pgd-linf attack (n = 1000)", leaving out what is unknown (null or blank). */
    private static String title(EvalReport report) {
        StringBuilder t = new StringBuilder(known(report.model()) ? report.model() : "model");
        if (known(report.data())) {
            t.append(" on ").append(report.data());
        }
        if (known(report.attack())) {
            t.append(", ").append(report.attack()).append(" attack");
        }
        return t.append(" (n = ").append(report.n()).append(')').toString();
    }

    private static boolean known(String s) {
        return s != null && !s.isBlank();
    }

    private static String fontHint(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String text = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            boolean fonts = text.contains("font");
            for (StackTraceElement frame : t.getStackTrace()) {
                fonts |= frame.getClassName().contains("Font");
            }
            if (fonts) {
                return "; this machine's Java finds no fonts: install fontconfig and a font package (e.g. fonts-dejavu)";
            }
        }
        return "";
    }
}

package dev.nrpm.report;

import com.google.gson.JsonElement;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.io.AtomicFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/**
 * A sweep's robust accuracy at its largest budget as a heatmap over two NRPM axes (two of lambda,
 * K and eps), one PNG per attack; drawn only where exactly two of them vary and nothing else does
 * among the NRPM cells (LPM cells have no such axes and are left out).
 */
public final class SweepHeatmap {
    private static final List<String> AXES = List.of("lambda", "K", "eps");

    private SweepHeatmap() {
    }

    /** Draws the heatmap to file when the cells allow one; returns a line saying what was done. */
    public static String write(String attack, List<Map<String, JsonElement>> settings, List<RobustnessCurve> curves,
                               Path file) {
        List<Integer> nrpm = new ArrayList<>();
        for (int i = 0; i < settings.size(); i++) {
            JsonElement pm = settings.get(i).get("pm");
            if (pm == null || !pm.getAsString().equalsIgnoreCase("lpm")) {
                nrpm.add(i);
            }
        }
        List<String> varying = new ArrayList<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        for (int i : nrpm) {
            keys.addAll(settings.get(i).keySet());
        }
        for (String key : keys) {
            TreeSet<String> values = new TreeSet<>();
            for (int i : nrpm) {
                JsonElement v = settings.get(i).get(key);
                values.add(v == null ? "" : v.getAsString());
            }
            if (values.size() > 1) {
                varying.add(key);
            }
        }
        if (varying.size() != 2 || !AXES.containsAll(varying)) {
            return "no heatmap for " + attack + ": it needs exactly two of lambda, K, eps varying over the NRPM cells"
                    + " (varying: " + (varying.isEmpty() ? "none" : String.join(", ", varying)) + ")";
        }
        String xKey = varying.get(0);
        String yKey = varying.get(1);
        List<Double> xs = distinct(settings, nrpm, xKey);
        List<Double> ys = distinct(settings, nrpm, yKey);
        List<Number[]> heat = new ArrayList<>();
        for (int i : nrpm) {
            double x = settings.get(i).get(xKey).getAsDouble();
            double y = settings.get(i).get(yKey).getAsDouble();
            RobustnessCurve c = curves.get(i);
            heat.add(new Number[] {xs.indexOf(x), ys.indexOf(y), 100 * c.accuracy(c.budgets().length - 1)});
        }
        double budget = curves.get(nrpm.get(0)).budgets()[curves.get(nrpm.get(0)).budgets().length - 1];
        HeatMapChart chart = new HeatMapChartBuilder().width(CurvePlot.WIDTH).height(CurvePlot.HEIGHT)
                .title(String.format(Locale.ROOT, "robust accuracy (%%), %s at budget %s", attack, Decimals.rounded(budget, 4)))
                .xAxisTitle(xKey).yAxisTitle(yKey).build();
        chart.getStyler().setShowValue(true).setMin(0).setMax(100)
                .setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLocale(Locale.ROOT);
        chart.addSeries("robust accuracy", xs, ys, heat);
        AtomicFile.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG),
                ReportException.WRITING);
        return "wrote " + file + " (" + xKey + " x " + yKey + ")";
    }

    private static List<Double> distinct(List<Map<String, JsonElement>> settings, List<Integer> rows, String key) {
        TreeSet<Double> v = new TreeSet<>();
        for (int i : rows) {
            v.add(settings.get(i).get(key).getAsDouble());
        }
        return new ArrayList<>(v);
    }
}

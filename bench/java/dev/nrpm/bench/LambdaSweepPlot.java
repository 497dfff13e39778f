package dev.nrpm.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.nrpm.report.CurvePlot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/**
 * The lambda sweep of bench/cifar/resnet18-cifar10.sh as one chart and one Markdown table:
 * accuracy (clean, PGD-20, AutoAttack, adaptive where run) against lambda, read from the JSON
 * reports it wrote.
 *
 * <pre>java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.LambdaSweepPlot RESULTS_DIR OUT.png</pre>
 */
public final class LambdaSweepPlot {
    private LambdaSweepPlot() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Path png = Path.of(args[1]);
        double[] lambdas = {1, 0.9, 0.8, 0.7, 0.5};
        // AutoAttack and adaptive ran on fewer images than PGD-20, not always as many for every lambda:
        // every figure they are compared with is taken on the same first images (per-sample outcomes)
        int common = Integer.MAX_VALUE;
        for (double l : lambdas) {
            for (String kind : new String[] {"autoattack", "adaptive"}) {
                JsonObject o = read(dir.resolve(kind + "-lambda" + tag(l) + ".json"));
                if (o != null) {
                    common = Math.min(common, o.get("n").getAsInt());
                }
            }
        }
        List<Double> xs = new ArrayList<>();
        List<double[]> rows = new ArrayList<>(); // clean, pgd (all PGD images), autoattack, adaptive (common images)
        int pgdImages = 0;
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
                "| lambda | clean | PGD-20 8/255 | clean, first %d | PGD-20, first %1$d | AutoAttack 8/255, first %1$d"
                        + " | adaptive 8/255, first %1$d |%n| --- | --- | --- | --- | --- | --- | --- |%n",
                common == Integer.MAX_VALUE ? 0 : common));
        for (double l : lambdas) {
            JsonObject pgd = read(dir.resolve("pgd20-lambda" + tag(l) + ".json"));
            JsonObject aa = read(dir.resolve("autoattack-lambda" + tag(l) + ".json"));
            JsonObject ad = read(dir.resolve("adaptive-lambda" + tag(l) + ".json"));
            if (pgd == null) {
                continue;
            }
            pgdImages = pgd.get("n").getAsInt();
            double[] r = {acc(pgd, 0), acc(pgd, 1), robust(aa, common), robust(ad, common)};
            xs.add(l);
            rows.add(r);
            md.append(String.format(Locale.ROOT, "| %s | %.1f%% | %.1f%% | %s | %s | %s | %s |%n", tag(l), r[0], r[1],
                    pct(clean(pgd, common)), pct(robust(pgd, common)), pct(r[2]), pct(r[3])));
        }
        md.append(String.format(Locale.ROOT, "%nclean and PGD-20: the first %d images; the other columns: the first %d.%n",
                pgdImages, common));
        XYChart chart = new XYChartBuilder().width(CurvePlot.WIDTH).height(CurvePlot.HEIGHT)
                .title("tiny ResNet-18, CIFAR-10: NRPM (K=1) in the block convs, paradigm 1")
                .xAxisTitle("lambda (1 = the original LPM network)").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setLegendPosition(Styler.LegendPosition.InsideNW)
                .setChartBackgroundColor(java.awt.Color.WHITE).setPlotBackgroundColor(java.awt.Color.WHITE);
        String[] names = {"clean", "PGD-20, L-inf 8/255", "AutoAttack, L-inf 8/255 (first " + common + " images)",
            "adaptive, L-inf 8/255 (first " + common + " images)"};
        for (int s = 0; s < names.length; s++) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                if (!Double.isNaN(rows.get(i)[s])) {
                    x.add(xs.get(i));
                    y.add(rows.get(i)[s]);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(names[s], x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            }
        }
        CurvePlot.write(chart, png);
        System.out.print(md);
    }

    private static String tag(double lambda) {
        return lambda == 1 ? "1" : String.valueOf(lambda);
    }

    /** Per-sample outcomes at the report's last budget. */
    private static JsonArray outcomes(JsonObject o) {
        JsonArray b = o.getAsJsonArray("breakdown");
        return b.get(b.size() - 1).getAsJsonObject().getAsJsonArray("outcome");
    }

    /** Robust accuracy (%) on the first n samples at the last budget; NaN for a missing report. */
    private static double robust(JsonObject o, int n) {
        return o == null ? Double.NaN : share(outcomes(o), n, true);
    }

    /** Clean accuracy (%) on the first n samples. */
    private static double clean(JsonObject o, int n) {
        return o == null ? Double.NaN : share(outcomes(o), n, false);
    }

    private static double share(JsonArray out, int n, boolean robustOnly) {
        if (out.size() < n) {
            return Double.NaN;
        }
        long count = 0;
        for (int i = 0; i < n; i++) {
            String s = out.get(i).getAsString();
            count += robustOnly ? (s.equals("robust") ? 1 : 0) : (s.equals("misclassified") ? 0 : 1);
        }
        return 100.0 * count / n;
    }

    private static JsonObject read(Path p) throws IOException {
        return Files.exists(p) ? JsonParser.parseString(Files.readString(p)).getAsJsonObject() : null;
    }

    private static double acc(JsonObject o, int i) {
        return 100 * o.getAsJsonArray("accuracy").get(i).getAsDouble();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", v);
    }
}

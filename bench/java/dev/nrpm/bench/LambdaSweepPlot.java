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
        List<Double> xs = new ArrayList<>();
        List<double[]> rows = new ArrayList<>(); // clean, pgd, autoattack, adaptive (NaN: not run)
        StringBuilder md = new StringBuilder("| lambda | clean (n) | PGD-20 8/255 | clean (n) | AutoAttack 8/255 | adaptive 8/255 |\n"
                + "| --- | --- | --- | --- | --- | --- |\n");
        for (double l : lambdas) {
            String tag = l == 1 ? "1" : String.valueOf(l);
            JsonObject pgd = read(dir.resolve("pgd20-lambda" + tag + ".json"));
            JsonObject aa = read(dir.resolve("autoattack-lambda" + tag + ".json"));
            JsonObject ad = read(dir.resolve("adaptive-lambda" + tag + ".json"));
            if (pgd == null) {
                continue;
            }
            double[] r = {acc(pgd, 0), acc(pgd, 1), aa == null ? Double.NaN : last(aa),
                ad == null ? Double.NaN : last(ad)};
            xs.add(l);
            rows.add(r);
            md.append(String.format(Locale.ROOT, "| %s | %.1f%% (%d) | %.1f%% | %s | %s | %s |%n", tag, r[0], pgd.get("n").getAsLong(),
                    r[1], aa == null ? "-" : String.format(Locale.ROOT, "%.1f%% (%d)", cleanOf(aa), aa.get("n").getAsLong()),
                    pct(r[2]), pct(r[3])));
        }
        XYChart chart = new XYChartBuilder().width(CurvePlot.WIDTH).height(CurvePlot.HEIGHT)
                .title("tiny ResNet-18, CIFAR-10: NRPM (K=1) in the block convs, paradigm 1")
                .xAxisTitle("lambda (1 = the original LPM network)").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setLegendPosition(Styler.LegendPosition.InsideNW)
                .setChartBackgroundColor(java.awt.Color.WHITE).setPlotBackgroundColor(java.awt.Color.WHITE);
        String[] names = {"clean", "PGD-20, L-inf 8/255", "AutoAttack, L-inf 8/255", "adaptive, L-inf 8/255"};
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

    private static JsonObject read(Path p) throws IOException {
        return Files.exists(p) ? JsonParser.parseString(Files.readString(p)).getAsJsonObject() : null;
    }

    private static double acc(JsonObject o, int i) {
        return 100 * o.getAsJsonArray("accuracy").get(i).getAsDouble();
    }

    /** Robust accuracy at the last budget. */
    private static double last(JsonObject o) {
        JsonArray a = o.getAsJsonArray("accuracy");
        return 100 * a.get(a.size() - 1).getAsDouble();
    }

    /** Clean accuracy of an attacked-only report: robust plus broken by the first member, from the outcomes. */
    private static double cleanOf(JsonObject o) {
        JsonArray out = o.getAsJsonArray("breakdown").get(0).getAsJsonObject().getAsJsonArray("outcome");
        long correct = 0;
        for (var e : out) {
            correct += e.getAsString().equals("misclassified") ? 0 : 1;
        }
        return 100.0 * correct / out.size();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", v);
    }
}

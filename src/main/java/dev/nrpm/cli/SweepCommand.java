package dev.nrpm.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.EvaluationJob;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.io.AtomicFile;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.report.ReportException;
import dev.nrpm.report.SweepHeatmap;
import dev.nrpm.report.TableReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** nrpm sweep: a grid of evaluations over one model and data selection, locally or on Spark. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a grid of settings (pattern matching, lambdas, K, eps, weight functions, attacks) over one model.",
            "The spec is a small JSON file (README.md, Sweeps). Each cell is kept in OUT/cells as it finishes, so the same",
            "command run again after an interruption computes only the missing cells. Writes one table per attack,",
            "OUT/sweep.json with every cell, and a heatmap per attack where two of lambda, K and eps vary.",
            "",
            "Example (from a fresh clone): nrpm sweep bench/sweep/demo-sweep.json --out runs/sweep"})
final class SweepCommand implements Callable<Integer> {
    /** Tests only: stop (as a killed run would) after this many newly computed cells. */
    static final String STOP_AFTER = "nrpm.sweep.stopAfter";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.json", description = "The sweep's spec.")
    Path specFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for cells, tables, sweep.json and heatmaps.")
    Path out;

    @Option(names = "--spark", paramLabel = "MASTER", description = "Run every cell's shards as Spark tasks on this master.")
    String spark;

    @Option(names = "--shards", paramLabel = "N", description = "With --spark: shards per cell. Default: as for eval.")
    Integer shards;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        SweepSpec s = SweepSpec.read(specFile);
        Distributed.check(spark, shards, null);
        List<Map<String, JsonElement>> cells = s.cells();
        int max = s.integer("max_cells") == null ? 100 : s.integer("max_cells");
        if (cells.size() > max) {
            throw new InvalidSettingException("sweep spec " + specFile + ": the grid has " + cells.size()
                    + " cells, more than max_cells " + max + "; raise max_cells in the spec to run it");
        }
        Path weights = Path.of(s.string("weights", null));
        new OutputGuard().input("weights", weights).report("--out", out.resolve("sweep.json")).check();
        DataSelection data = CommandLine.populateCommand(new DataSelection(), "--data", s.string("data", null));
        data.dataDir = s.top.has("data_dir") ? Path.of(s.string("data_dir", null)) : null;
        data.offset = s.integer("offset") == null ? 0 : s.integer("offset");
        data.limit = s.integer("limit");
        data.batch = s.integer("batch") == null ? 100 : s.integer("batch");
        data.checkBatch();
        long seed = s.integer("seed") == null ? 0 : s.integer("seed");
        String device = s.string("device", "auto");
        boolean probes = s.top.has("probes") && s.top.get("probes").getAsBoolean();
        double[] budgets = s.budgets();
        dev.nrpm.data.ImageDataset test = data.evaluation();
        ModelSpec ms = modelSpec(s, data, test.numClasses());

        List<Cell> all = new ArrayList<>();
        for (Map<String, JsonElement> c : cells) {
            PatternMatchingOptions pm = pmOf(c);
            AttackOptions attack = attackOf(c, budgets, probes);
            attack.plan(test.numClasses()); // every cell's settings checked before any work
            EvalSetup setup = new EvalSetup(ms, weights, pm, attack, test,
                    EvalOptions.of(data.batch, seed).withProbes(probes), seed, device);
            all.add(new Cell(c, setup, setup.fingerprint()));
        }
        Path cellDir = out.resolve("cells");
        Files.createDirectories(cellDir);
        List<Cell> missing = new ArrayList<>();
        for (Cell c : all) {
            if (!Files.isRegularFile(cellDir.resolve(c.id + ".json"))) {
                missing.add(c);
            }
        }
        pw.println("sweep: " + all.size() + " cells" + (missing.size() < all.size()
                ? ", " + (all.size() - missing.size()) + " already done in " + cellDir : "")
                + (spark != null ? ", on Spark " + spark : ""));
        Integer stopAfter = Integer.getInteger(STOP_AFTER);
        if (spark != null) {
            List<EvalSetup> setups = missing.stream().map(c -> c.setup).toList();
            List<RobustnessCurve> curves = Distributed.evaluateAll(spark, shards, setups, pw);
            for (int i = 0; i < missing.size(); i++) {
                save(cellDir, missing.get(i), curves.get(i));
            }
        } else {
            int done = 0;
            for (Cell c : missing) {
                if (stopAfter != null && done++ >= stopAfter) {
                    throw new IllegalStateException("stopped after " + stopAfter + " cells (" + STOP_AFTER + ")");
                }
                EvaluationJob.Prepared p = c.setup.prepare(device);
                RobustnessCurve curve = RobustnessEvaluator.evaluate(p.label(), p.pm(), p.model(), p.backend(), p.data(),
                        p.plan(), budgets, c.setup.options(), Console.stages());
                save(cellDir, c, curve);
                pw.println("  " + label(c.settings) + ": " + accuracies(curve));
            }
        }
        report(pw, s, all, cellDir, budgets, ms, test);
        return 0;
    }

    private record Cell(Map<String, JsonElement> settings, EvalSetup setup, String id) {
    }

    private static ModelSpec modelSpec(SweepSpec s, DataSelection data, int classes) {
        ModelOptions m = new ModelOptions();
        m.model = s.string("model", null);
        m.width = s.integer("width") == null ? 64 : s.integer("width");
        if (s.top.has("widths")) {
            JsonArray w = s.top.getAsJsonArray("widths");
            m.widths = new int[w.size()];
            for (int i = 0; i < w.size(); i++) {
                m.widths[i] = w.get(i).getAsInt();
            }
        }
        m.relu = s.top.has("relu") && s.top.get("relu").getAsBoolean();
        return m.spec(data.shape(), classes);
    }

    private static PatternMatchingOptions pmOf(Map<String, JsonElement> c) {
        List<String> args = new ArrayList<>(List.of("--pm", c.containsKey("pm") ? c.get("pm").getAsString() : "nrpm"));
        put(args, c, "K", "--K");
        put(args, c, "eps", "--eps");
        put(args, c, "lambda", "--lambda");
        put(args, c, "weight", "--weight");
        put(args, c, "gamma", "--gamma");
        put(args, c, "delta", "--delta");
        put(args, c, "layers", "--layers");
        PatternMatchingOptions pm = CommandLine.populateCommand(new PatternMatchingOptions(), args.toArray(String[]::new));
        pm.mode();
        pm.spec();
        return pm;
    }

    private static AttackOptions attackOf(Map<String, JsonElement> c, double[] budgets, boolean probes) {
        List<String> args = new ArrayList<>(List.of("--attack", c.containsKey("attack") ? c.get("attack").getAsString() : "none"));
        put(args, c, "norm", "--norm");
        put(args, c, "steps", "--steps");
        put(args, c, "queries", "--queries");
        put(args, c, "targets", "--targets");
        put(args, c, "restarts", "--restarts");
        if (!probes) {
            args.add("--no-probes");
        }
        AttackOptions a = CommandLine.populateCommand(new AttackOptions(), args.toArray(String[]::new));
        a.budgets = budgets.clone();
        return a;
    }

    private static void put(List<String> args, Map<String, JsonElement> c, String key, String option) {
        if (c.containsKey(key)) {
            args.add(option);
            args.add(c.get(key).getAsString());
        }
    }

    static String label(Map<String, JsonElement> settings) {
        List<String> parts = new ArrayList<>();
        settings.forEach((k, v) -> parts.add(k + "=" + v.getAsString()));
        return parts.isEmpty() ? "default" : String.join(" ", parts);
    }

    private static String accuracies(RobustnessCurve c) {
        List<String> out = new ArrayList<>();
        for (double a : c.accuracies()) {
            out.add(String.format(java.util.Locale.ROOT, "%.1f", 100 * a));
        }
        return String.join(" ", out);
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** A finished cell: its settings and its curve in a compact form, with the full JSON report beside it. */
    private static void save(Path dir, Cell c, RobustnessCurve curve) {
        JsonObject o = new JsonObject();
        o.addProperty("id", c.id);
        o.add("settings", GSON.toJsonTree(c.settings));
        o.addProperty("label", label(c.settings));
        o.addProperty("n", curve.n());
        o.add("budgets", GSON.toJsonTree(curve.budgets()));
        o.add("correct", GSON.toJsonTree(curve.correct()));
        o.add("accuracy", GSON.toJsonTree(curve.accuracies()));
        JsonArray f = new JsonArray();
        curve.findings().stream().filter(x -> x.isWarning()).forEach(x -> f.add(x.message()));
        o.add("warnings", f);
        EvalReport full = new EvalReport(null, null, null, label(c.settings), null, 0, List.of(curve));
        o.add("report", JsonParser.parseString(dev.nrpm.report.JsonReport.toJson(full)));
        AtomicFile.writeString(dir.resolve(c.id + ".json"), GSON.toJson(o) + "\n", ReportException.WRITING);
    }

    private void report(PrintWriter pw, SweepSpec s, List<Cell> all, Path cellDir, double[] budgets, ModelSpec ms,
                        dev.nrpm.data.ImageDataset test) throws IOException {
        Map<String, List<RobustnessCurve>> byAttack = new LinkedHashMap<>();
        Map<String, List<Map<String, JsonElement>>> settingsByAttack = new LinkedHashMap<>();
        JsonArray cellsJson = new JsonArray();
        for (Cell c : all) {
            JsonObject o = JsonParser.parseString(Files.readString(cellDir.resolve(c.id + ".json"))).getAsJsonObject();
            cellsJson.add(o);
            long[] correct = GSON.fromJson(o.get("correct"), long[].class);
            RobustnessCurve curve = new RobustnessCurve(o.get("label").getAsString(), budgets, correct,
                    o.get("n").getAsLong(), null);
            String attack = c.settings.containsKey("attack") ? c.settings.get("attack").getAsString() : "none";
            byAttack.computeIfAbsent(attack, k -> new ArrayList<>()).add(curve);
            settingsByAttack.computeIfAbsent(attack, k -> new ArrayList<>()).add(c.settings);
        }
        JsonObject sweep = new JsonObject();
        sweep.add("spec", s.top);
        sweep.add("cells", cellsJson);
        AtomicFile.writeString(out.resolve("sweep.json"), GSON.toJson(sweep) + "\n", ReportException.WRITING);
        for (Map.Entry<String, List<RobustnessCurve>> e : byAttack.entrySet()) {
            EvalReport r = new EvalReport(ms.describe(), s.string("weights", null), s.string("data", null) + ", "
                    + test.size() + " samples", e.getKey(), s.string("device", "auto"), 0, e.getValue());
            String table = TableReport.render(r);
            pw.println();
            pw.print(table);
            AtomicFile.writeString(out.resolve("table-" + e.getKey() + ".txt"), table, ReportException.WRITING);
            String heat = SweepHeatmap.write(e.getKey(), settingsByAttack.get(e.getKey()), e.getValue(),
                    out.resolve("heatmap-" + e.getKey() + ".png"));
            pw.println(heat);
        }
        pw.println("wrote " + out.resolve("sweep.json") + ", the tables and heatmaps beside it");
    }
}

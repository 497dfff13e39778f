package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nrpm sweep: the grid's cells, their reports, resuming after an interruption, Spark, bad specs. */
class SweepCommandTest {
    private static final String SPEC = """
            {"model": "mlp", "weights": "models/demo-mlp.safetensors", "data": "synth-mnist", "offset": 7,
             "limit": 40, "budgets": [0, "8/255", 0.1], "seed": 3,
             "grid": {"attack": ["fgsm", "apgd-ce"], "steps": [5], "pm": ["lpm", "nrpm"], "K": [1, 2], "lambda": [0.9, 0.5]}}
            """;

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path spec(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    /** Each cell's settings and counts, in order (times differ between runs, the rest may not). */
    private static List<String> cells(Path out) throws Exception {
        JsonObject sweep = JsonParser.parseString(Files.readString(out.resolve("sweep.json"))).getAsJsonObject();
        List<String> rows = new ArrayList<>();
        for (var c : sweep.getAsJsonArray("cells")) {
            JsonObject o = c.getAsJsonObject();
            rows.add(o.get("settings") + " " + o.get("correct") + " " + o.get("n"));
        }
        return rows;
    }

    @Test
    void aGridRunsEveryCellWritesReportsAndResumesAfterAnInterruption() throws Exception {
        Path spec = spec("spec.json", SPEC);
        Path whole = dir.resolve("whole");
        Run r = run("sweep", spec.toString(), "--out", whole.toString());
        assertEquals(0, r.code(), r.err());
        List<String> want = cells(whole);
        assertEquals(2 * (1 + 4), want.size(), "per attack: one LPM cell and 2 K x 2 lambda NRPM cells");
        assertTrue(Files.isRegularFile(whole.resolve("table-fgsm.txt")) && Files.isRegularFile(whole.resolve("table-apgd-ce.txt")));
        assertTrue(Files.size(whole.resolve("heatmap-apgd-ce.png")) > 1000, r.out());
        JsonArray cells = JsonParser.parseString(Files.readString(whole.resolve("sweep.json"))).getAsJsonObject()
                .getAsJsonArray("cells");
        assertEquals(8 / 255.0, cells.get(0).getAsJsonObject().getAsJsonArray("budgets").get(1).getAsDouble());

        Path cut = dir.resolve("cut");
        System.setProperty(SweepCommand.STOP_AFTER, "3");
        try {
            assertEquals(1, run("sweep", spec.toString(), "--out", cut.toString()).code(), "the simulated kill");
        } finally {
            System.clearProperty(SweepCommand.STOP_AFTER);
        }
        try (var s = Files.list(cut.resolve("cells"))) {
            assertEquals(3, s.count(), "three cells were done before the kill");
        }
        Run resumed = run("sweep", spec.toString(), "--out", cut.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("sweep: 10 cells, 3 already done"), resumed.out());
        assertEquals(want, cells(cut), "an interrupted sweep, resumed, ends where the uninterrupted one does");

        Path spark = dir.resolve("spark");
        Run s = run("sweep", spec.toString(), "--out", spark.toString(), "--spark", "local[2]", "--shards", "3");
        assertEquals(0, s.code(), s.err());
        assertEquals(want, cells(spark), "the same sweep on Spark");
    }

    @Test
    void badSpecsAreOneLineErrorsNamingTheKey() throws Exception {
        String[][] cases = {
            {"{\"model\": \"mlp\", \"weights\": \"models/demo-mlp.safetensors\", \"data\": \"synth-mnist\", \"grid\": {}, \"colour\": 1}",
                "unknown key 'colour'"},
            {"{\"model\": \"mlp\", \"weights\": \"models/demo-mlp.safetensors\", \"data\": \"synth-mnist\", \"grid\": {\"lambda\": []}}",
                "grid 'lambda' must be a non-empty list"},
            {"{\"model\": \"mlp\", \"weights\": \"models/demo-mlp.safetensors\", \"data\": \"synth-mnist\", \"grid\": {\"lamda\": [1]}}",
                "unknown grid key 'lamda'"},
            {"{\"model\": \"mlp\", \"weights\": \"models/demo-mlp.safetensors\", \"data\": \"synth-mnist\", \"max_cells\": 3,"
                + " \"grid\": {\"lambda\": [0.1, 0.2, 0.3, 0.4]}}", "more than max_cells 3"},
            {"{\"model\": \"mlp\", \"weights\": \"models/demo-mlp.safetensors\", \"data\": \"synth-mnist\","
                + " \"grid\": {\"attack\": [\"pgd\"], \"norm\": [\"l2\"]}}", "--norm l2 does not apply to pgd"},
            {"[1, 2]", "must be a JSON object"},
            {"{\"model\": ", "not valid JSON"}};
        for (String[] c : cases) {
            Run r = run("sweep", spec("bad.json", c[0]).toString(), "--out", dir.resolve("o").toString());
            assertEquals(2, r.code(), c[0] + "\n" + r.err());
            assertTrue(r.err().contains(c[1]) && r.err().lines().count() <= 2, c[0] + "\n" + r.err());
        }
    }
}

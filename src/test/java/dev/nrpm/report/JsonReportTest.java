package dev.nrpm.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static dev.nrpm.report.Evals.BUDGETS;
import static dev.nrpm.report.Evals.curve;
import static dev.nrpm.report.Evals.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonReportTest {
    /** A number written with an exponent ("1.0E-5", "3e7"): what the format avoids. */
    private static final Pattern EXPONENT = Pattern.compile("[0-9][eE][-+]?[0-9]");

    @TempDir
    Path tmp;

    enum Mode { NRPM }

    private static Map<String, Object> richPm() {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("mode", Mode.NRPM);
        pm.put("K", 3);
        pm.put("lambda", 0.3);
        pm.put("eps", 1e-5f);
        pm.put("learnable", false);
        pm.put("delta", null);
        pm.put("layers", List.of("conv1", "fc2"));
        pm.put("weights", new double[] {0.5, 0.25});
        pm.put("nested", Map.of("norm", "l2"));
        return pm;
    }

    private static EvalReport single() {
        double[] budgets = {0, 1e-5, 8 / 255.0, 0.1};
        RobustnessCurve c = new RobustnessCurve("NRPM K=3 <lambda=0.3>", budgets, new long[] {199_999, 100_000, 3, 1}, 200_000, richPm());
        return new EvalReport("lenet", null, "mnist", "pgd-linf", "cpu", 12.25, List.of(c));
    }

    private static List<String> keys(JsonObject o) {
        return new ArrayList<>(o.keySet());
    }

    private static void assertNumbers(JsonArray a, double[] expected) {
        assertEquals(expected.length, a.size());
        for (int i = 0; i < expected.length; i++) {
            JsonPrimitive p = a.get(i).getAsJsonPrimitive();
            assertTrue(p.isNumber(), p.toString());
            assertEquals(expected[i], p.getAsDouble(), 0.0, "full precision at " + i);
        }
    }

    private static void assertCounts(JsonArray a, long[] expected) {
        assertEquals(expected.length, a.size());
        for (int i = 0; i < expected.length; i++) {
            JsonPrimitive p = a.get(i).getAsJsonPrimitive();
            assertTrue(p.isNumber() && !p.getAsString().contains("."), "an integer: " + p);
            assertEquals(expected[i], p.getAsLong());
        }
    }

    @Test
    void oneCurveIsTheFlatContract() {
        EvalReport r = single();
        String text = JsonReport.toJson(r);
        JsonObject o = JsonParser.parseString(text).getAsJsonObject();
        assertEquals(List.of("model", "weights", "data", "n", "attack", "budgets", "accuracy", "correct", "pm", "device", "seconds"), keys(o));
        assertEquals("lenet", o.get("model").getAsString());
        assertTrue(o.get("weights").isJsonNull(), "an unknown value keeps its key");
        assertEquals("mnist", o.get("data").getAsString());
        assertEquals(200_000, o.get("n").getAsLong());
        assertEquals("200000", o.get("n").getAsString());
        assertEquals("pgd-linf", o.get("attack").getAsString());
        assertNumbers(o.getAsJsonArray("budgets"), r.budgets());
        assertNumbers(o.getAsJsonArray("accuracy"), new double[] {0.999995, 0.5, 0.000015, 0.000005});
        assertCounts(o.getAsJsonArray("correct"), new long[] {199_999, 100_000, 3, 1});
        assertEquals("cpu", o.get("device").getAsString());
        assertEquals(12.25, o.get("seconds").getAsDouble());

        JsonObject pm = o.getAsJsonObject("pm");
        assertEquals(List.of("mode", "K", "lambda", "eps", "learnable", "delta", "layers", "weights", "nested"), keys(pm));
        assertEquals("NRPM", pm.get("mode").getAsString());
        assertEquals("3", pm.get("K").getAsString());
        assertEquals(0.3, pm.get("lambda").getAsDouble());
        assertEquals("0.00001", pm.get("eps").getAsJsonPrimitive().getAsString(), "a float by its own digits");
        assertFalse(pm.get("learnable").getAsBoolean());
        assertTrue(pm.get("delta").isJsonNull());
        assertEquals("[\"conv1\",\"fc2\"]", pm.get("layers").toString());
        assertEquals("[0.5,0.25]", pm.get("weights").toString());
        assertEquals("l2", pm.getAsJsonObject("nested").get("norm").getAsString());

        assertFalse(EXPONENT.matcher(text).find(), "no exponents:\n" + text);
        assertTrue(text.contains("0.03137254901960784"), text);
        assertTrue(text.contains("\"budgets\": [0.0, 0.00001, 0.03137254901960784, 0.1],"), "numeric arrays on one line:\n" + text);
        assertTrue(text.contains("\n  \"model\": \"lenet\",\n"), "pretty-printed:\n" + text);
        assertTrue(text.endsWith("}\n"));
    }

    @Test
    void severalCurvesGoIntoConfigurations() {
        EvalReport r = Evals.twoCurves();
        JsonObject o = JsonParser.parseString(JsonReport.toJson(r)).getAsJsonObject();
        assertEquals(List.of("model", "weights", "data", "n", "attack", "budgets", "configurations", "device", "seconds"), keys(o));
        assertEquals("models/lenet.pt", o.get("weights").getAsString());
        assertEquals(1000, o.get("n").getAsLong());
        assertNumbers(o.getAsJsonArray("budgets"), BUDGETS);
        JsonArray configs = o.getAsJsonArray("configurations");
        assertEquals(2, configs.size());
        for (int i = 0; i < 2; i++) {
            RobustnessCurve c = r.curves().get(i);
            JsonObject config = configs.get(i).getAsJsonObject();
            assertEquals(List.of("label", "pm", "accuracy", "correct"), keys(config));
            assertEquals(c.label(), config.get("label").getAsString());
            assertEquals(c.label(), config.getAsJsonObject("pm").get("mode").getAsString());
            assertNumbers(config.getAsJsonArray("accuracy"), c.accuracies());
            assertCounts(config.getAsJsonArray("correct"), c.correct());
        }
    }

    @Test
    void labelsAreNotHtmlEscaped() {
        // the label goes through JSON escaping only: quotes are escaped, '<', '=' and '&' are not
        EvalReport r = Evals.report(curve("K<=3 & \"q\"", BUDGETS, 10, 9, 8, 7, 6, 5));
        String json = JsonReport.toJson(r);
        assertTrue(json.contains("\"mode\": \"K<=3 & \\\"q\\\"\""), json);
        assertFalse(json.contains("\\u003c"), json);
    }

    @Test
    void writeCreatesDirectoriesAndMatchesToJson() throws IOException {
        Path f = tmp.resolve("runs/2024/eval.json");
        JsonReport.write(Evals.twoCurves(), f);
        assertEquals(JsonReport.toJson(Evals.twoCurves()), Files.readString(f));
        assertEquals(List.of("eval.json"), names(f.getParent()));
    }

    @Test
    void aBadPathIsATypedErrorNamingTheFile() throws IOException {
        Path blocker = Files.writeString(tmp.resolve("not-a-dir"), "x");
        Path f = blocker.resolve("eval.json");
        ReportException e = assertThrows(ReportException.class, () -> JsonReport.write(Evals.twoCurves(), f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void pmValuesWithoutAJsonFormAreRefusedByName() {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("spec", new Object());
        EvalReport r = Evals.report(new RobustnessCurve("LPM", BUDGETS, new long[] {5, 4, 3, 2, 1}, 5, pm));
        ReportException e = assertThrows(ReportException.class, () -> JsonReport.toJson(r));
        assertTrue(e.getMessage().contains("'LPM'") && e.getMessage().contains("pm.spec"), e.getMessage());

        pm.clear();
        pm.put("lambda", List.of(1.0, Double.NaN));
        e = assertThrows(ReportException.class, () -> JsonReport.toJson(Evals.report(
                new RobustnessCurve("LPM", BUDGETS, new long[] {5, 4, 3, 2, 1}, 5, pm))));
        assertTrue(e.getMessage().contains("pm.lambda[1] = NaN"), e.getMessage());

        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("self", loop);
        e = assertThrows(ReportException.class, () -> JsonReport.toJson(Evals.report(
                new RobustnessCurve("LPM", BUDGETS, new long[] {5, 4, 3, 2, 1}, 5, loop))));
        assertTrue(e.getMessage().contains("contains itself"), e.getMessage());
    }

    @Test
    void anEmptyPmIsAnEmptyObject() {
        EvalReport r = Evals.report(new RobustnessCurve("plain", BUDGETS, new long[] {5, 4, 3, 2, 1}, 5, null));
        JsonElement pm = JsonParser.parseString(JsonReport.toJson(r)).getAsJsonObject().get("pm");
        assertEquals(new JsonObject(), pm);
    }
}

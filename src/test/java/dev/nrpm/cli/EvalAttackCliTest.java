package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.nrpm.io.safetensors.SafetensorsContent;
import dev.nrpm.io.safetensors.SafetensorsReader;
import java.io.File;
import dev.nrpm.testing.ChildProcess;
import java.time.Duration;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** nrpm eval with the AutoAttack family: reports, saved adversarials, bad input, thread counts. */
class EvalAttackCliTest {
    private static final String[] MODEL = {"eval", "--model", "mlp", "--weights", "models/demo-mlp.safetensors",
        "--data", "synth-mnist"};

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... extra) {
        List<String> args = new ArrayList<>(List.of(MODEL));
        args.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "--attack;deepfool;--attack",
        "--norm;l3;--norm",
        "--budgets;8/x;--budgets",
        "--budgets;2;--budgets",
        "--queries;0;--queries",
        "--targets;10;--targets",
        "--steps;0;--steps",
        "--step-size;-1;--step-size"})
    void badAttackSettingsAreOneLineNamingTheOption(String option, String value, String named) {
        List<String> args = new ArrayList<>(List.of("--limit", "5", "--attack", "autoattack", "--budgets", "8/255"));
        int at = args.indexOf(option);
        if (at >= 0) {
            args.set(at + 1, value);
        } else {
            args.add(option);
            args.add(value);
        }
        Result r = run(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(named), r.err());
        assertTrue(r.err().lines().count() <= 2 && !r.err().contains("Exception"), r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "--attack pgd --budgets 0.1 --queries 10;--queries has no effect",
        "--attack apgd-ce --budgets 0.1 --targets 3;--targets has no effect",
        "--attack autoattack --budgets 0.1 --step-size 0.01;--step-size has no effect",
        "--attack fgsm --budgets 0.1 --steps 5;--steps has no effect",
        "--attack none --budgets 0,0.1;--budgets has no effect",
        "--pm lpm --K 2;--K has no effect",
        "--pm lpm --layers fc1;--layers has no effect"})
    void optionsWithoutEffectAreRefused(String options, String message) {
        List<String> args = new ArrayList<>(List.of("--limit", "5"));
        args.addAll(List.of(options.split(" ")));
        Result r = run(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(message), r.err());
    }

    @Test
    void reprogrammingOnTheEvaluationSamplesIsWarnedAbout(@TempDir Path dir) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "reprogram", "--paradigm", "2",
                "--model", "mlp", "--weights", "models/demo-mlp.safetensors", "--data", "synth-mnist",
                "--train-from", "test", "--train-limit", "64", "--offset", "32", "--limit", "32", "--epochs", "1",
                "--out", dir.resolve("p2.safetensors").toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("warning: the fine-tuning samples test[0, 64) overlap the evaluation samples"
                + " test[32, 64)"), out.toString());
    }

    @Test
    void aNormThatTheAttackDoesNotHaveIsRefused() {
        Result r = run("--limit", "5", "--attack", "pgd", "--norm", "l2", "--budgets", "0.5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("pgd-l2"), r.err());
    }

    /**
     * The table and JSON give clean accuracy, the robust accuracy after each member, which member
     * broke each sample, the seed and the times; the adversarial images come back from the file.
     */
    @Test
    void reportsAndSavedAdversarials(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("r.json");
        Path adv = dir.resolve("adv.safetensors");
        Result r = run("--limit", "20", "--attack", "autoattack", "--steps", "5", "--queries", "50",
                "--budgets", "0,8/255,0.1", "--seed", "3", "--json", json.toString(), "--save-adversarial", adv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("apgd-ce") && r.out().contains("square") && r.out().contains("robust after"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("L-inf epsilon", o.get("budget_kind").getAsString());
        assertEquals(3, o.get("seed").getAsLong());
        assertEquals("linf", o.getAsJsonObject("attack_settings").get("norm").getAsString());
        assertEquals(8 / 255.0, o.getAsJsonArray("budgets").get(1).getAsDouble());
        JsonArray bds = o.getAsJsonArray("breakdown");
        assertEquals(2, bds.size(), "budget 0 is not attacked");
        JsonObject bd = bds.get(0).getAsJsonObject();
        assertEquals(4, bd.getAsJsonArray("robust_after").size());
        assertEquals(20, bd.getAsJsonArray("outcome").size());
        long robust = 0;
        for (var e : bd.getAsJsonArray("outcome")) {
            robust += e.getAsString().equals("robust") ? 1 : 0;
        }
        assertEquals(o.getAsJsonArray("correct").get(1).getAsLong(), robust);
        assertEquals(20, o.getAsJsonArray("sample_indices").size());
        SafetensorsContent st = SafetensorsReader.read(adv);
        assertEquals(List.of(20, 1, 28, 28), toList(st.tensors().get("adversarial.0").shape()));
        assertEquals(List.of(20), toList(st.tensors().get("outcome.1").shape()));
    }

    private static List<Integer> toList(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int v : a) {
            l.add(v);
        }
        return l;
    }

    /** A second JVM with one CPU thread (ours and BLAS's) and another batch size prints the same outcomes. */
    @Test
    void sameOutcomesWithOneThreadAndAnotherBatchSize(@TempDir Path dir) throws Exception {
        String[] attack = {"--limit", "24", "--attack", "autoattack", "--steps", "8", "--queries", "60",
            "--budgets", "0.08,0.15", "--seed", "11", "--no-probes"};
        Path here = dir.resolve("here.json");
        List<String> args = new ArrayList<>(List.of(attack));
        args.addAll(List.of("--batch", "24", "--json", here.toString()));
        assertEquals(0, run(args.toArray(String[]::new)).code());

        Path there = dir.resolve("there.json");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dnrpm.cpu.threads=1", "-Dnrpm.backend=cpu", "-cp", System.getProperty("java.class.path"),
                "dev.nrpm.cli.Main"));
        cmd.addAll(List.of(MODEL));
        cmd.addAll(List.of(attack));
        cmd.addAll(List.of("--batch", "5", "--json", there.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        ChildProcess.Result second = ChildProcess.run(pb, Duration.ofMinutes(5));
        assertEquals(0, second.exitCode(), second.output());
        JsonObject a = JsonParser.parseString(Files.readString(here)).getAsJsonObject();
        JsonObject b = JsonParser.parseString(Files.readString(there)).getAsJsonObject();
        assertEquals(a.get("correct"), b.get("correct"));
        for (int i = 0; i < 2; i++) {
            assertEquals(a.getAsJsonArray("breakdown").get(i).getAsJsonObject().get("outcome"),
                    b.getAsJsonArray("breakdown").get(i).getAsJsonObject().get("outcome"));
        }
        assertTrue(new File(there.toString()).length() > 0);
    }
}

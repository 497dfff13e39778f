package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nrpm eval --spark on real Spark in local mode: any number of shards gives exactly the local
 * run's numbers and outcomes; a task that fails once is retried with the same result; a shard
 * folder lets a rerun compute only the missing shards.
 */
class SparkEvalTest {
    private static final String[] EVAL = {"eval", "--model", "mlp", "--weights", "models/demo-mlp.safetensors",
        "--data", "synth-mnist", "--offset", "3", "--limit", "30", "--pm", "nrpm", "--K", "1", "--lambda", "0.5",
        "--attack", "autoattack", "--steps", "5", "--queries", "40", "--budgets", "0,0.05,0.1", "--seed", "9"};

    @TempDir
    Path dir;

    private record Run(int code, String out, String err, JsonObject json) {
    }

    private Run eval(String name, String... extra) throws Exception {
        Path json = dir.resolve(name + ".json");
        List<String> args = new ArrayList<>(List.of(EVAL));
        args.addAll(List.of(extra));
        args.addAll(List.of("--json", json.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        JsonObject o = code == 0 ? JsonParser.parseString(Files.readString(json)).getAsJsonObject() : null;
        return new Run(code, out.toString(), err.toString(), o);
    }

    private static void assertSameResults(JsonObject want, JsonObject got, String what) {
        assertEquals(want.get("correct"), got.get("correct"), what);
        for (int b = 0; b < want.getAsJsonArray("breakdown").size(); b++) {
            JsonObject x = want.getAsJsonArray("breakdown").get(b).getAsJsonObject();
            JsonObject y = got.getAsJsonArray("breakdown").get(b).getAsJsonObject();
            assertEquals(x.get("outcome"), y.get("outcome"), what);
            assertEquals(x.get("robust_after"), y.get("robust_after"), what);
        }
        assertEquals(want.get("findings"), got.get("findings"), what);
        assertEquals(want.get("sample_indices"), got.get("sample_indices"), what);
    }

    @Test
    void shardedOnSparkEqualsLocalForAnyShardCountAndSurvivesAFailedTask() throws Exception {
        Run local = eval("local", "--batch", "7");
        assertEquals(0, local.code(), local.err());
        for (int shards : new int[] {1, 3, 8}) {
            Run s = eval("spark" + shards, "--spark", "local[2]", "--shards", String.valueOf(shards));
            assertEquals(0, s.code(), s.err());
            assertTrue(s.out().contains("spark: " + shards + " shards on local[2]"), s.out());
            assertSameResults(local.json(), s.json(), shards + " shards");
        }
        System.setProperty("nrpm.spark.failOnce", "1");
        try {
            Run retried = eval("retried", "--spark", "local[2,2]", "--shards", "4");
            assertEquals(0, retried.code(), retried.err());
            assertSameResults(local.json(), retried.json(), "a task retried once");
        } finally {
            System.clearProperty("nrpm.spark.failOnce");
        }
    }

    @Test
    void aRerunWithAShardFolderComputesOnlyWhatIsMissing() throws Exception {
        Path shards = dir.resolve("shards");
        Run first = eval("first", "--spark", "local[2]", "--shards", "4", "--shard-dir", shards.toString());
        assertEquals(0, first.code(), first.err());
        List<Path> files;
        try (Stream<Path> s = Files.list(shards)) {
            files = s.sorted().toList();
        }
        assertEquals(4, files.size(), files.toString());
        Files.delete(files.get(2));                       // as if the job had been killed before that shard
        Files.writeString(files.get(1), "not a shard");   // and a damaged one: computed again
        Run second = eval("second", "--spark", "local[2]", "--shards", "4", "--shard-dir", shards.toString());
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("2 already done in"), second.out());
        assertSameResults(first.json(), second.json(), "resumed");
    }

    @Test
    void badSparkSettingsAreOneLineErrors() throws Exception {
        Run unreachable = eval("bad", "--spark", "spark://127.0.0.1:1");
        assertEquals(2, unreachable.code());
        assertTrue(unreachable.err().contains("--spark spark://127.0.0.1:1: no Spark master answers there"), unreachable.err());
        Run noSpark = eval("shards", "--shards", "3");
        assertEquals(2, noSpark.code());
        assertTrue(noSpark.err().contains("--shards has no effect without --spark"), noSpark.err());
    }
}

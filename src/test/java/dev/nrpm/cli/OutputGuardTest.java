package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing the user did not ask to replace is replaced: checkpoints need --overwrite (or --resume),
 * no output may be an input or share a path with another output, and unwritable outputs fail
 * before any work. Each refused run leaves every file as it was.
 */
class OutputGuardTest {
    @TempDir
    Path dir;

    private static String[] err(int[] code, String... args) {
        StringWriter err = new StringWriter();
        code[0] = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        return new String[] {err.toString()};
    }

    private static String refused(String... args) {
        int[] code = new int[1];
        String e = err(code, args)[0];
        assertEquals(2, code[0], e);
        assertTrue(e.lines().count() <= 2 && !e.contains("Exception"), e);
        return e;
    }

    private Path copyOfDemoWeights() throws Exception {
        Path w = dir.resolve("weights.safetensors");
        Files.copy(Path.of("models/demo-mlp.safetensors"), w);
        return w;
    }

    @Test
    void aReportOnTheWeightsFileIsRefusedAndTheWeightsSurvive() throws Exception {
        Path w = copyOfDemoWeights();
        byte[] before = Files.readAllBytes(w);
        String e = refused("eval", "--model", "mlp", "--weights", w.toString(), "--data", "synth-mnist", "--limit", "5",
                "--json", w.toString());
        assertTrue(e.contains("--json") && e.contains("--weights"), e);
        refused("eval", "--model", "mlp", "--weights", w.toString(), "--data", "synth-mnist", "--limit", "5",
                "--csv", dir.resolve("x/../weights.safetensors").toString());
        assertArrayEquals(before, Files.readAllBytes(w));
    }

    @Test
    void twoReportsOnOnePathAreRefused() throws Exception {
        Path r = dir.resolve("r.out");
        String e = refused("eval", "--model", "mlp", "--weights", "models/demo-mlp.safetensors", "--data", "synth-mnist",
                "--limit", "5", "--json", r.toString(), "--csv", r.toString());
        assertTrue(e.contains("--json and --csv"), e);
        assertTrue(!Files.exists(r));
    }

    @Test
    void unwritableOutputsFailBeforeAnyWork() throws Exception {
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "x");
        String e = refused("eval", "--model", "mlp", "--weights", "models/demo-mlp.safetensors", "--data", "synth-mnist",
                "--limit", "5", "--json", file.resolve("r.json").toString());
        assertTrue(e.contains("--json"), e);
        refused("eval", "--model", "mlp", "--weights", "models/demo-mlp.safetensors", "--data", "synth-mnist",
                "--limit", "5", "--csv", dir.toString());
    }

    @Test
    void anExistingCheckpointIsReplacedOnlyWhenAsked() throws Exception {
        Path w = copyOfDemoWeights();
        Path out = dir.resolve("imported.safetensors");
        Files.writeString(out, "an earlier checkpoint");
        String e = refused("import", "--model", "mlp", "--weights", w.toString(), "--out", out.toString());
        assertTrue(e.contains("--overwrite"), e);
        assertEquals("an earlier checkpoint", Files.readString(out));
        String t = refused("train", "--model", "mlp", "--data", "synth-mnist", "--epochs", "1", "--train-limit", "64",
                "--limit", "10", "--out", out.toString());
        assertTrue(t.contains("--resume") && t.contains("--overwrite"), t);
        assertEquals("an earlier checkpoint", Files.readString(out));
        refused("train", "--model", "mlp", "--data", "synth-mnist", "--epochs", "1", "--out", w.toString(),
                "--weights", w.toString(), "--overwrite");
        int[] code = new int[1];
        String ok = err(code, "import", "--model", "mlp", "--weights", w.toString(), "--out", out.toString(), "--overwrite")[0];
        assertEquals(0, code[0], ok);
        assertTrue(Files.size(out) > 1000, "replaced when asked");
    }
}

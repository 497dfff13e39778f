package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.io.HostTensor;
import dev.nrpm.io.ModelCheckpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nrpm train --resume continues exactly: a run stopped after its first epoch and resumed ends with
 * the same weights, bit for bit, as the run that never stopped (LeNet, so dropout's random stream
 * must be restored too; momentum, so the optimizer state must be).
 */
class TrainResumeTest {
    @TempDir
    Path tmp;

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, code, "nrpm " + String.join(" ", args) + " failed: " + err);
        return out.toString();
    }

    private static String[] train(Path out, int epochs, boolean resume) {
        List<String> a = new ArrayList<>(List.of("train", "-q", "--model", "lenet", "--data", "synth-mnist",
                "--train-limit", "192", "--limit", "64", "--train-batch", "32", "--epochs", String.valueOf(epochs),
                "--lr", "0.05", "--momentum", "0.9", "--seed", "5", "--device", "cpu", "--pm", "nrpm", "--K", "1",
                "--layers", "fc*", "--out", out.toString()));
        if (resume) {
            a.add("--resume");
        }
        return a.toArray(new String[0]);
    }

    @Test
    void aResumedRunEndsWhereTheUninterruptedOneDoes() {
        Path straight = tmp.resolve("straight.safetensors");
        Path stopped = tmp.resolve("stopped.safetensors");
        run(train(straight, 2, false));
        run(train(stopped, 1, false));                 // the run "killed" after epoch 1 left this
        String log = run(train(stopped, 2, true));
        assertTrue(log.contains("resuming"), log);
        assertTrue(Files.isRegularFile(stopped));
        Map<String, HostTensor> want = ModelCheckpoint.read(straight).modelState();
        Map<String, HostTensor> got = ModelCheckpoint.read(stopped).modelState();
        assertEquals(want.keySet(), got.keySet());
        for (String key : want.keySet()) {
            assertArrayEquals(want.get(key).toFloatArray(), got.get(key).toFloatArray(), key + " after resuming");
        }
    }
}

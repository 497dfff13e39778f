package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.io.HostTensor;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.testing.TestBackends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * nrpm train --resume continues exactly: a run stopped after its first epoch and resumed ends with
 * the same weights, bit for bit, as the run that never stopped (LeNet, so dropout's random stream
 * must be restored too; momentum, so the optimizer state must be). On every device the command line
 * offers: the CUDA kernels are deterministic (no atomics), so bit for bit holds there too.
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

    static Stream<String> devices() {
        return TestBackends.selected().filter(name -> name.equals("cpu") || name.equals("cuda"));
    }

    private static String[] train(String device, Path out, int epochs, boolean resume) {
        List<String> a = new ArrayList<>(List.of("train", "-q", "--model", "lenet", "--data", "synth-mnist",
                "--train-limit", "192", "--limit", "64", "--train-batch", "32", "--epochs", String.valueOf(epochs),
                "--lr", "0.05", "--momentum", "0.9", "--seed", "5", "--device", device, "--pm", "nrpm", "--K", "1",
                "--layers", "fc*", "--out", out.toString()));
        if (resume) {
            a.add("--resume");
        }
        return a.toArray(new String[0]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void aResumedRunEndsWhereTheUninterruptedOneDoes(String device) {
        TestBackends.require(device);
        Path straight = tmp.resolve("straight.safetensors");
        Path stopped = tmp.resolve("stopped.safetensors");
        run(train(device, straight, 2, false));
        run(train(device, stopped, 1, false));         // the run "killed" after epoch 1 left this
        String log = run(train(device, stopped, 2, true));
        assertTrue(log.contains("resuming"), log);
        assertTrue(Files.isRegularFile(stopped));
        Map<String, HostTensor> want = ModelCheckpoint.read(straight).modelState();
        Map<String, HostTensor> got = ModelCheckpoint.read(stopped).modelState();
        assertEquals(want.keySet(), got.keySet());
        for (String key : want.keySet()) {
            assertArrayEquals(want.get(key).toFloatArray(), got.get(key).toFloatArray(), key + " after resuming");
        }
    }

    private static String refused(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        assertEquals(2, code, err.toString());
        return err.toString();
    }

    /** --resume checks everything that defines the run, not only the seed, and trains nothing it need not. */
    @org.junit.jupiter.api.Test
    void aResumeWithOtherSettingsOrNothingLeftIsRefusedAndLeavesTheCheckpoint() throws Exception {
        Path out = tmp.resolve("run.safetensors");
        run(train("cpu", out, 2, false));
        byte[] before = Files.readAllBytes(out);
        String[] otherLr = train("cpu", out, 3, true);
        otherLr[java.util.Arrays.asList(otherLr).indexOf("--lr") + 1] = "0.1";
        String e = refused(otherLr);
        assertTrue(e.contains("lr: 0.05 in the checkpoint, 0.1 now"), e);
        String[] otherData = train("cpu", out, 3, true);
        otherData[java.util.Arrays.asList(otherData).indexOf("--train-limit") + 1] = "160";
        e = refused(otherData);
        assertTrue(e.contains("train set"), e);
        e = refused(train("cpu", out, 1, true));
        assertTrue(e.contains("has done 2 epochs, more than --epochs 1"), e);
        String log = run(train("cpu", out, 2, true));
        assertTrue(log.contains("nothing left to train") && !log.contains("wrote"), log);
        assertArrayEquals(before, Files.readAllBytes(out), "the checkpoint is untouched");
    }
}

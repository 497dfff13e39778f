package dev.nrpm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import dev.nrpm.testing.ChildProcess;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The scripts of bench/gpu run on the GPU machine, where a mistake costs device time: the Python
 * scripts' own --self-test (no torch, no GPU needed) and run-gpu.sh's plan of a deadline run here
 * with every build; bench/cpu/vs_torch.py (our CPU backend against PyTorch's) shares compare.py's
 * parser, so its self-test runs here too.
 */
class GpuScriptsSelfTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpu/compare.py", "gpu/torch_nrpm.py", "gpu/torch_train_step.py",
        "gpu/instructions_per_term.py", "cpu/vs_torch.py"})
    void selfTestPasses(String script) throws IOException, InterruptedException {
        Path file = Path.of("bench", script);
        Assumptions.assumeTrue(Files.isRegularFile(file), () -> file + " not found (run from the repository root)");
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(new ProcessBuilder("python3", file.toString(), "--self-test"), Duration.ofSeconds(60));
        } catch (IOException e) {
            Assumptions.abort("no python3 here: " + e.getMessage());
            return;
        }
        assertEquals(0, r.exitCode(), script + " --self-test failed:\n" + r.output());
    }

    /**
     * The one-call GPU session (bench/gpu/README.md): under a 570 s deadline, even if every stage
     * ran to its limit, the whole default list fits and each stage that measures a target (our
     * layers and training steps, both PyTorch baselines) keeps at least 45 s.
     */
    @Test
    void deadlinePlanKeepsEveryMeasuringStage(@TempDir Path out) throws IOException, InterruptedException {
        Path script = Path.of("bench/gpu/run-gpu.sh");
        Assumptions.assumeTrue(Files.isRegularFile(script), () -> script + " not found (run from the repository root)");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
        pb.environment().put("NRPM_PLAN", "1");
        pb.environment().put("NRPM_ASSUME_TORCH", "1");
        pb.environment().put("NRPM_DEADLINE_S", "570");
        pb.environment().put("OUT", out.toString());
        String log = ChildProcess.run(pb, Duration.ofSeconds(60)).output();
        String summary = Files.readString(out.resolve("summary.txt"));
        Map<String, Integer> gets = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^(.+?): would get (\\d+) s").matcher(summary);
        while (m.find()) {
            gets.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Matcher k = Pattern.compile("(?m)^(.+?): skipped").matcher(summary);
        while (k.find()) {
            skipped.add(k.group(1));
        }
        int total = gets.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total <= 560, "the stages could take " + total + " s of 570:\n" + summary);
        List<String> order = new ArrayList<>(gets.keySet());
        String[] measuring = {"smoke layers", "tests", "layers", "torch layers", "train width 64", "torch train"};
        int last = -1;
        for (String stage : measuring) {
            assertTrue(gets.getOrDefault(stage, 0) >= 45, stage + " gets under 45 s:\n" + summary);
            int at = order.indexOf(stage);
            assertTrue(at > last, stage + " out of order:\n" + summary);
            last = at;
        }
        assertTrue(skipped.stream().allMatch(s -> s.equals("train width 8") || s.startsWith("tests, chunked")),
                "skipped " + skipped + ":\n" + summary);
    }
}

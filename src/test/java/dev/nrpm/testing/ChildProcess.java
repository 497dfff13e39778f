package dev.nrpm.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command for a test with a time limit that fires: the output goes to a file, never to a
 * pipe the test would have to drain before it can wait (reading a pipe to its end blocks for as
 * long as the child lives, so the limit never comes), and a child still running at the limit is
 * killed with its descendants and the test fails saying so.
 */
public final class ChildProcess {
    private ChildProcess() {
    }

    /** Exit code and everything the command printed (stdout and stderr together). */
    public record Result(int exitCode, String output) {
    }

    /**
     * Starts pb (its output redirected here) and waits at most limit.
     *
     * @throws IOException when the command cannot start (callers may skip: no g++ or python3 here)
     */
    public static Result run(ProcessBuilder pb, Duration limit) throws IOException, InterruptedException {
        Path log = Files.createTempFile("nrpm-child", ".log");
        try {
            Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", pb.command()) + " did not finish within " + limit
                        + " and was killed; it printed:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

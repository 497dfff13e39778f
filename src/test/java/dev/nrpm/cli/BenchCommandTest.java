package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** nrpm bench's own errors are user errors with a message, not JMH's internal ones. */
class BenchCommandTest {
    @Test
    void anIncludeMatchingNothingNamesTheBenchmarks() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "bench", "--include", "NoSuchBenchmark");
        assertNotEquals(0, code);
        assertTrue(err.toString().startsWith("bench: error: no benchmark matches --include NoSuchBenchmark")
                && err.toString().contains("CpuNrpmBench, GpuNrpmJmh"), err.toString());
    }
}

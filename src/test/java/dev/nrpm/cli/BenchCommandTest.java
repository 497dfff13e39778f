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

    @Test
    void aBadRegexAndAnUnknownParameterAreUserErrors() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "bench", "--include", "(");
        assertTrue(code == 2 && err.toString().contains("--include ( is not a regular expression"), err.toString());
        err = new StringWriter();
        code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "bench", "--include", "CpuNrpmBench.lpm$", "--param", "layr=dense:8:8:8");
        assertTrue(code == 2 && err.toString().contains("--param layr: no benchmark has that parameter")
                && err.toString().contains("layer"), err.toString());
    }
}

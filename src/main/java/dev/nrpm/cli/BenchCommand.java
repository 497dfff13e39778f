package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** nrpm bench: the JMH benchmarks of bench/ (NRPM against LPM and the materialized formulation). */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the engine's JMH benchmarks (bench/): fused NRPM against LPM and against the",
            "materialized formulation, per layer. Validates results before timing.",
            "",
            "Example: nrpm bench --quick --include 'CpuNrpmBench.(lpm|nrpmFused)$' --param layer=dense:256:784:256"})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--include", defaultValue = "CpuNrpmBench", paramLabel = "REGEX",
            description = "Benchmarks to run (JMH regular expression). Default: ${DEFAULT-VALUE}.")
    String include;

    @Option(names = "--param", paramLabel = "NAME=V1,V2", description = "Restrict a benchmark parameter, e.g. k=1 or layer=dense:256:784:256.")
    String[] params;

    @Option(names = "--quick", description = "1 warm-up and 3 measured iterations of 1 s (default: JMH settings of each benchmark).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write JMH's JSON results.")
    Path json;

    @Override
    public Integer call() throws RunnerException {
        ChainedOptionsBuilder b = new OptionsBuilder().include(include).shouldFailOnError(true);
        if (quick) {
            b.warmupIterations(1).warmupTime(TimeValue.seconds(1)).measurementIterations(3)
                    .measurementTime(TimeValue.seconds(1));
        }
        if (params != null) {
            for (String p : params) {
                int eq = p.indexOf('=');
                if (eq < 1) {
                    throw new InvalidSettingException("--param must look like NAME=V1,V2, got '" + p + "'");
                }
                b.param(p.substring(0, eq), p.substring(eq + 1).split(","));
            }
        }
        if (json != null) {
            b.result(json.toString()).resultFormat(ResultFormatType.JSON);
        }
        if (new Runner(b.build()).run().isEmpty()) {
            throw new InvalidSettingException("no benchmark matches --include " + include);
        }
        return 0;
    }
}

package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.NrpmException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** nrpm bench: the JMH benchmarks of bench/ (NRPM against LPM and the materialized formulation). */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the engine's JMH benchmarks (bench/), per layer, validating results before timing.",
            "They are CpuNrpmBench (the CPU backend: fused NRPM against LPM and the materialized formulation) and",
            "GpuNrpmJmh (the cuda backend: NRPM against LPM, wall-clock, launch overhead included).",
            "",
            "Example: nrpm bench --quick --include 'CpuNrpmBench.(lpm|nrpmFused)$' --param layer=dense:256:784:256",
            "         nrpm bench --quick --include GpuNrpmJmh --param layer=full.layer1 --param k=1"})
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

    /** The benchmark classes bench/ holds: their @Param fields are what --param may restrict. */
    private static final String[] BENCHMARKS = {"dev.nrpm.bench.CpuNrpmBench", "dev.nrpm.bench.GpuNrpmJmh"};

    @Override
    public Integer call() {
        try {
            java.util.regex.Pattern.compile(include);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new InvalidSettingException("--include " + include + " is not a regular expression: "
                    + e.getDescription() + " near index " + e.getIndex());
        }
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
                checkParameter(p.substring(0, eq));
                b.param(p.substring(0, eq), p.substring(eq + 1).split(","));
            }
        }
        if (json != null) {
            b.result(json.toString()).resultFormat(ResultFormatType.JSON);
        }
        try {
            if (new Runner(b.build()).run().isEmpty()) {
                throw noMatch();
            }
        } catch (RunnerException e) {
            if (e instanceof NoBenchmarksException) {
                throw noMatch();
            }
            // JMH has printed the benchmark's own exception above
            throw new NrpmException("a benchmark failed (its error is printed above): " + e.getMessage(), e);
        }
        return 0;
    }

    /** JMH ignores parameters no benchmark declares: a typo would time the defaults instead. */
    private static void checkParameter(String name) {
        java.util.Map<String, java.util.List<String>> declared = new java.util.LinkedHashMap<>();
        for (String cls : BENCHMARKS) {
            try {
                java.util.List<String> names = new java.util.ArrayList<>();
                for (java.lang.reflect.Field f : Class.forName(cls).getDeclaredFields()) {
                    if (f.isAnnotationPresent(org.openjdk.jmh.annotations.Param.class)) {
                        names.add(f.getName());
                    }
                }
                if (names.contains(name)) {
                    return;
                }
                declared.put(cls.substring(cls.lastIndexOf('.') + 1), names);
            } catch (ClassNotFoundException e) {
                // a build without the benchmarks: JMH will say no benchmark matches
            }
        }
        throw new InvalidSettingException("--param " + name + ": no benchmark has that parameter (" + declared + ")");
    }

    private InvalidSettingException noMatch() {
        return new InvalidSettingException("no benchmark matches --include " + include
                + " (the benchmarks: CpuNrpmBench, GpuNrpmJmh)");
    }
}

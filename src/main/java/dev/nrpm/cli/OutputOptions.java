package dev.nrpm.cli;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.report.CsvReport;
import dev.nrpm.report.CurvePlot;
import dev.nrpm.report.JsonReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --json, --csv, --plot: the report files next to the table on stdout. */
final class OutputOptions {
    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the results as CSV.")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw the robustness curve as a PNG.")
    Path plot;

    void write(EvalReport report, PrintWriter out) {
        if (json != null) {
            JsonReport.write(report, json);
            out.println("wrote " + json);
        }
        if (csv != null) {
            CsvReport.write(report, csv);
            out.println("wrote " + csv);
        }
        if (plot != null) {
            CurvePlot.write(report, plot);
            out.println("wrote " + plot);
        }
    }
}

package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.report.CsvReport;
import dev.nrpm.report.CurvePlot;
import dev.nrpm.report.PlotSupport;
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

    /** Fails before any work when a requested file cannot be written in this installation. */
    void check() {
        String reason = plot == null ? null : PlotSupport.unavailableReason();
        if (reason != null) {
            throw new InvalidSettingException("--plot " + plot + ": no chart can be drawn here: " + reason
                    + "; use --json or --csv and plot elsewhere");
        }
    }

    /** Adds the report files to a command's output check. */
    OutputGuard reports(OutputGuard guard) {
        return guard.report("--json", json).report("--csv", csv).report("--plot", plot);
    }

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

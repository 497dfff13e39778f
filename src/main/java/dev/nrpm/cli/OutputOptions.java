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

    /**
     * Fails before any work when an extra output file (--save-adversarial) is the weights file or one
     * of the report files: writing it would destroy them.
     */
    void checkDistinct(Path weights, Path extra, String option) {
        if (extra == null) {
            return;
        }
        Path e = extra.toAbsolutePath().normalize();
        for (Path other : new Path[] {weights, json, csv, plot}) {
            if (other != null && other.toAbsolutePath().normalize().equals(e)) {
                throw new InvalidSettingException(option + " " + extra + " is also " + (other == weights ? "the weights file"
                        : "a report file") + ": give it a path of its own");
            }
        }
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

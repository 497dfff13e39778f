package dev.nrpm.cli;

import dev.nrpm.backend.Backend;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.eval.ProgressSink;
import dev.nrpm.report.Progress;
import java.io.PrintWriter;

/** What every command shows while it runs: progress bars over batches and stages, timing, the device line. */
final class Console {
    private Console() {
    }

    /** A progress bar for a loop over batches (quiet unless stdout is a terminal). */
    static BatchProgress progress(String task, int totalBatches, Progress[] holder) {
        return (done, total) -> {
            if (holder[0] == null) {
                holder[0] = Progress.start(task, total, " batches");
            }
            holder[0].step();
            if (done == total) {
                holder[0].close();
                holder[0] = null;
            }
        };
    }

    static BatchProgress progress(String task) {
        Progress[] holder = new Progress[1];
        return progress(task, 0, holder);
    }

    /** Progress bars per evaluation stage (an attack at a budget), counted in samples. */
    static ProgressSink stages() {
        return (task, total) -> {
            Progress bar = Progress.start(task, total, " img");
            return new ProgressSink.Stage() {
                @Override
                public void step(long n) {
                    bar.step(n);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }

    static void device(PrintWriter out, Backend be) {
        out.println("device: " + be.name());
    }

    static double since(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}

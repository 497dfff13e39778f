package dev.nrpm.report;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Console;
import java.lang.reflect.Method;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A progress bar for a long loop (an evaluation over budgets and batches, an epoch):
 *
 * <pre>
 * try (Progress p = Progress.start("pgd eps=0.03", n, " img")) {
 *     for (...) { ...; p.step(batchSize); }
 * }
 * </pre>
 *
 * It draws (task, bar, count, rate in items/s, elapsed and remaining time) only when the JVM runs
 * in an interactive terminal, and is completely silent otherwise: in tests, CI, under nohup, or
 * with output piped or redirected, not one byte is written, so logs and redirected output never
 * fill with carriage-return garbage. {@link #setQuiet(boolean)} (a CLI's --quiet) silences it even
 * in a terminal. A silent bar still counts ({@link #current()}).
 *
 * <p>The bar goes to standard output: "interactive" is decided by {@link System#console()}, which
 * exists only when standard input and output are terminals, so stdout is the one stream known to
 * be a terminal (stderr may be redirected to a log file). One bar is drawn at a time, because two
 * bars redrawing one line would garble it: a bar started while another is drawn stays silent. For
 * nested loops prefer one bar over the whole work with {@link #setExtra(String)} naming the stage.
 * The bar is plain ASCII, which every terminal and charset shows.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    private static volatile boolean quiet;
    private static final AtomicReference<Progress> DRAWING = new AtomicReference<>();

    private final AtomicLong current = new AtomicLong();
    private volatile ProgressBar bar; // null while silent
    private volatile LineEnding line; // the bar's consumer, while drawn
    private volatile boolean closed;

    private Progress() {
    }

    /** Silences every bar started afterwards, even in a terminal (for a --quiet option). */
    public static void setQuiet(boolean value) {
        quiet = value;
    }

    public static boolean isQuiet() {
        return quiet;
    }

    /**
     * Whether standard input and output are an interactive terminal. From JDK 22 on,
     * System.console() exists also when they are redirected, and Console.isTerminal() (absent
     * from Java 17, hence the reflection) tells the cases apart.
     */
    public static boolean terminalAttached() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // before JDK 22 a console exists only for a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false; // unsure: silence is the safe side
        }
    }

    /** A bar over total items (total &lt;= 0: unknown, shown without percentage and ETA). */
    public static Progress start(String task, long total) {
        return start(task, total, "");
    }

    /** As {@link #start(String, long)}, with a unit for counts and rates (" img" gives "512 img/s"). */
    public static Progress start(String task, long total, String unit) {
        return start(task, total, unit, () -> terminalAttached() ? new ConsoleProgressBarConsumer(System.out) : null);
    }

    /** The decision made testable: terminal returns where to draw, or null where there is no terminal. */
    static Progress start(String task, long total, String unit, Supplier<ProgressBarConsumer> terminal) {
        Progress p = new Progress();
        if (quiet) {
            return p;
        }
        ProgressBarConsumer consumer = terminal.get();
        if (consumer == null || !DRAWING.compareAndSet(null, p)) {
            return p;
        }
        try {
            p.line = new LineEnding(consumer);
            p.bar = new ProgressBarBuilder()
                    .setTaskName(task == null ? "" : task)
                    .setInitialMax(total > 0 ? total : -1)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(p.line)
                    .setUpdateIntervalMillis(250)
                    .continuousUpdate() // the clock keeps moving through a slow step
                    .setUnit(unit == null ? "" : unit, 1)
                    .showSpeed()
                    .setSpeedUnit(ChronoUnit.SECONDS)
                    .build();
        } catch (RuntimeException | LinkageError e) {
            // a progress bar is never worth failing an evaluation for: carry on silently
            LOG.debug("progress bar for '{}' not drawn: {}", task, e.toString());
            p.bar = null;
            DRAWING.compareAndSet(p, null);
        }
        return p;
    }

    public Progress step() {
        return step(1);
    }

    public Progress step(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("a progress step must not be negative: " + n);
        }
        current.addAndGet(n);
        ProgressBar b = bar;
        if (b != null) {
            b.stepBy(n);
        }
        return this;
    }

    /** A short note shown after the bar ("eps=0.031", "loss 0.42"); ignored while silent. */
    public Progress setExtra(String message) {
        ProgressBar b = bar;
        if (b != null) {
            // the library appends the note right after the rate ("12 img/seps=0.03")
            b.setExtraMessage(message == null || message.isEmpty() ? "" : " " + message);
        }
        return this;
    }

    /** Items stepped so far, drawn or not. */
    public long current() {
        return current.get();
    }

    /** Whether this bar is being drawn (false when quiet, without a terminal, or behind another bar). */
    public boolean isDrawn() {
        return bar != null && !closed;
    }

    /** Draws the final state and ends the line; later calls do nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ProgressBar b = bar;
        if (b != null) {
            b.close(); // returns after the final redraw, on the library's single refresh thread
            line.close();
            DRAWING.compareAndSet(this, null);
        }
    }

    /**
     * Ends the bar's line exactly once. progressbar 0.10.1 skips its consumer's close (the
     * newline) when a bar is closed before its first refresh ran, which happens for quick loops
     * on a busy machine; the next output would then continue the bar's line.
     */
    private static final class LineEnding implements ProgressBarConsumer {
        private final ProgressBarConsumer terminal;
        private boolean closed;

        LineEnding(ProgressBarConsumer terminal) {
            this.terminal = terminal;
        }

        @Override
        public int getMaxRenderedLength() {
            return terminal.getMaxRenderedLength();
        }

        @Override
        public synchronized void accept(String rendered) {
            if (!closed) {
                terminal.accept(rendered);
            }
        }

        @Override
        public synchronized void clear() {
            terminal.clear();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                terminal.close();
            }
        }
    }
}

package dev.nrpm.cli;

import dev.nrpm.error.NrpmException;
import dev.nrpm.report.Progress;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The nrpm command line. User errors (bad arguments, missing or corrupt files, settings out of
 * range) print one line naming the culprit and exit with code 2; only a bug prints a stack trace.
 */
@Command(name = "nrpm", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Robustness reprogramming: evaluate, reprogram and train networks with NRPM layers.",
        subcommands = {DemoCommand.class, EvalCommand.class, SweepCommand.class, ReprogramCommand.class, TrainCommand.class,
            ImportCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for user errors. */
    public static final int USAGE = 2;

    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "No progress bars (they are off anyway when output is not a terminal).")
    void quiet(boolean value) {
        Progress.setQuiet(value);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code;
        try {
            code = run(out, err, args);
        } catch (NoClassDefFoundError e) {
            // the jar's Class-Path names lib/*.jar beside it: a jar copied alone finds no library
            err.println("nrpm: error: a library is missing (" + e.getMessage().replace('/', '.') + "): nrpm.jar needs"
                    + " the lib/ folder that the package step puts beside it (target/lib); copy both together");
            code = USAGE;
        }
        // autoflush covers println only: a report printed with print() would be lost at exit
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Console the command line with the given streams; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof NrpmException) {
                cmd.getErr().println(cmd.getCommandName() + ": error: " + e.getMessage());
                return USAGE;
            }
            cmd.getErr().println(cmd.getCommandName() + ": internal error, please report it:");
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println(cmd.getCommandName() + ": error: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            return USAGE;
        });
        return cl.execute(args);
    }
}

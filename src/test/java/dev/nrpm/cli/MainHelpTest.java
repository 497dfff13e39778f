package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainHelpTest {
    /** `nrpm --help` lists each command with the first line of its description only. */
    @Test
    void commandListShowsWholeSentences() {
        CommandLine cl = new CommandLine(new Main());
        for (var e : cl.getSubcommands().entrySet()) {
            String[] description = e.getValue().getCommandSpec().usageMessage().description();
            assertTrue(description.length > 0, e.getKey() + " has no description");
            String first = description[0].strip();
            assertTrue(first.endsWith(".") && !first.startsWith(" "),
                    e.getKey() + ": the command list would show a cut sentence: '" + first + "'");
        }
    }

    @Test
    void helpPrintsEveryCommandAndExitsZero() {
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--help");
        assertEquals(0, code);
        for (String name : new String[] {"demo", "eval", "reprogram", "train", "import", "bench"}) {
            assertTrue(out.toString().contains("  " + name + " "), "missing " + name + " in:\n" + out);
        }
    }
}

package dev.nrpm.report;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class ProgressTest {
    /** What a terminal 100 columns wide would have received. */
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final Supplier<ProgressBarConsumer> terminal =
            () -> new ConsoleProgressBarConsumer(new PrintStream(screen, true, StandardCharsets.UTF_8), 100);

    @AfterEach
    void loud() {
        Progress.setQuiet(false);
    }

    private String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withoutATerminalNothingIsWrittenAnywhere() {
        assumeFalse(Progress.terminalAttached(), "these tests run with a terminal attached");
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        Progress p;
        try {
            System.setOut(capture);
            System.setErr(capture);
            try (Progress bar = Progress.start("evaluating", 1000, " img")) {
                p = bar;
                for (int i = 0; i < 10; i++) {
                    bar.step(100).setExtra("eps=" + i);
                }
                assertFalse(bar.isDrawn());
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8));
        assertEquals(1000, p.current(), "a silent bar still counts");
    }

    @Test
    void inATerminalItDrawsTaskCountAndRate() {
        Progress p = Progress.start("pgd eps=0.03", 500, " img", terminal);
        assertTrue(p.isDrawn());
        for (int i = 0; i < 5; i++) {
            p.step(100);
        }
        p.setExtra("batch 5/5");
        p.close();
        assertFalse(p.isDrawn());
        String s = screen();
        assertTrue(s.contains("pgd eps=0.03"), s);
        assertTrue(s.contains("100%"), s);
        assertTrue(s.contains("500/500 img"), s);
        assertTrue(s.matches("(?s).* img/s.*"), "a rate in items per second: " + s);
        assertTrue(s.contains("img/s batch 5/5"), "the note is set off from the rate: " + s);
        assertTrue(s.endsWith("\n"), "the finished bar ends its line");
        assertTrue(s.chars().allMatch(c -> c < 128), "plain ASCII: " + s);
    }

    @Test
    void barsClosedBeforeTheirFirstRefreshStillEndTheirLineOnce() {
        // progressbar 0.10.1 alone left most of these without the final newline
        for (int i = 0; i < 200; i++) {
            screen.reset();
            try (Progress p = Progress.start("quick", 10, "", terminal)) {
                p.step(10);
            }
            String s = screen();
            assertTrue(s.endsWith("\n") && s.indexOf('\n') == s.length() - 1, "bar " + i + ": " + s);
            assertTrue(s.contains("10/10"), s);
        }
    }

    @Test
    void quietSilencesEvenATerminal() {
        Progress.setQuiet(true);
        try (Progress p = Progress.start("evaluating", 10, "", terminal)) {
            p.step(10);
            assertFalse(p.isDrawn());
            assertEquals(10, p.current());
        }
        assertEquals("", screen());
    }

    @Test
    void oneBarIsDrawnAtATime() {
        try (Progress outer = Progress.start("budgets", 3, "", terminal)) {
            assertTrue(outer.isDrawn());
            try (Progress inner = Progress.start("batches", 100, "", terminal)) {
                assertFalse(inner.isDrawn(), "two bars would redraw the same line");
                inner.step(100);
            }
            outer.step(3);
        }
        try (Progress next = Progress.start("next", 1, "", terminal)) {
            assertTrue(next.isDrawn(), "the terminal is free again after close");
        }
        assertFalse(screen().contains("batches"), screen());
    }

    @Test
    void unknownTotalsAndMisuse() {
        try (Progress p = Progress.start("streaming", -1, " img", terminal)) {
            p.step(7).step();
            assertEquals(8, p.current());
            assertThrows(IllegalArgumentException.class, () -> p.step(-1));
            p.close(); // twice is harmless
        }
        assertTrue(screen().contains("8/? img"), screen());
    }
}

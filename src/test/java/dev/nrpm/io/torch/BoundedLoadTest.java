package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.Fixtures;
import static dev.nrpm.io.Fixtures.floatsLE;
import static dev.nrpm.io.Fixtures.tensorPickle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny hostile files cannot make a load allocate much: a view with stride 0 over one float that
 * claims billions of elements, and keys nested so that their text doubles at every level, end in a
 * short typed error at once, not in an OutOfMemoryError after a long stall.
 */
class BoundedLoadTest {
    @TempDir
    Path tmp;

    @Test
    void anExpandedViewLargerThanTheBoundIsRefusedBeforeAllocating() throws Exception {
        // one stored float seen as 50000 x 50000 (stride 0): 10 GB if gathered
        String pickle = "(dp0\nS'w'\n" + tensorPickle("0", 1, 0, new int[] {50000, 50000}, new int[] {0, 0}) + "s.";
        Path file = Fixtures.torchZip(tmp.resolve("bomb.pth"), pickle, Map.of("0", floatsLE(1f)));
        assertTrue(Files.size(file) < 2000);
        // a hang guard, not a speed test: gathering the view would take minutes and 10 GB
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(CheckpointException.class, () -> TorchReader.read(file, 1 << 20)));
        assertTrue(e.getMessage().contains("10000000000 bytes") && e.getMessage().contains("bomb.pth"), e.getMessage());
        // a legitimate expanded view within the bound still loads, element by element
        String small = "(dp0\nS'w'\n" + tensorPickle("0", 1, 0, new int[] {3, 4}, new int[] {0, 0}) + "s.";
        Path ok = Fixtures.torchZip(tmp.resolve("ok.pth"), small, Map.of("0", floatsLE(2.5f)));
        HostTensor t = TorchReader.read(ok, 1 << 20).stateDict().get("w");
        assertEquals(12, t.size());
        assertEquals(2.5f, t.toFloatArray()[11]);
    }

    @Test
    void storagesDeclaringMoreThanTheBoundAreRefusedBeforeReading() throws Exception {
        String pickle = "(dp0\nS'w'\n" + tensorPickle("0", 1 << 28, 0, new int[] {4}, new int[] {1}) + "s.";
        Path file = Fixtures.torchZip(tmp.resolve("big.pth"), pickle, Map.of("0", floatsLE(1f, 2f, 3f, 4f)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchReader.read(file, 1 << 20));
        assertTrue(e.getMessage().contains("declare more than"), e.getMessage());
    }

    /** A key that is a tuple of itself twice, 60 levels deep: its full text would be 2^60 characters. */
    @Test
    void aPathologicallyNestedKeyGivesAShortMessage() throws Exception {
        StringBuilder p = new StringBuilder("(dp0\n(S'k'\ntp1\n");
        for (int i = 1; i < 60; i++) {
            p.append("(g").append(i).append("\ng").append(i).append("\ntp").append(i + 1).append('\n');
        }
        p.append("ctorch\nFloatStorage\ns."); // a bare storage class as the value: refused, naming the key
        Path file = Fixtures.torchZip(tmp.resolve("keys.pth"), p.toString(), Map.of());
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(60),  // a hang guard: 2^60 characters
                () -> assertThrows(CheckpointException.class, () -> TorchReader.read(file)));
        assertTrue(e.getMessage().length() < 1000, "message of " + e.getMessage().length() + " characters");
    }
}

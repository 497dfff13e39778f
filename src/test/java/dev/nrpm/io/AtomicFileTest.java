package dev.nrpm.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The one atomic writer, as checkpoints use it (reports only change the exception type). */
class AtomicFileTest {
    private static final byte[] OLD = "the previous report\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private Path oldFile(String name) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, OLD);
        return f;
    }

    /** Names in a folder, sorted (temporary files included: they start with a dot). */
    static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Temporary files a killed earlier run left beside the target go with the next write; others stay. */
    @Test
    void staleTemporaryFilesOfTheTargetAreSweptAfterAWrite() throws IOException {
        Path f = oldFile("model.safetensors");
        Path stale = Files.write(tmp.resolve(".model.safetensors.0123456789abcdef.tmp"), OLD);
        Path other = Files.write(tmp.resolve(".other.safetensors.0123456789abcdef.tmp"), OLD);
        Path fresh = Files.write(tmp.resolve(".model.safetensors.fedcba9876543210.tmp"), OLD);
        long old = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime() - 60_000;
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(old));
        Files.setLastModifiedTime(other, java.nio.file.attribute.FileTime.fromMillis(old));
        AtomicFile.writeString(f, "new", AtomicFile.CHECKPOINT);
        assertEquals("new", Files.readString(f));
        assertTrue(!Files.exists(stale), "the stale temporary file of the target is gone");
        assertTrue(Files.exists(other), "another target's temporary file is not ours to delete");
        assertTrue(Files.exists(fresh), "a temporary file younger than this JVM may belong to a live writer");
    }

    private static void assertNames(String message, CheckpointException e) {
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void writesCreatingParentDirectoriesAndReplacesAtomically() throws IOException {
        Path f = tmp.resolve("a/b/c/report.json");
        AtomicFile.writeString(f, "first", AtomicFile.CHECKPOINT);
        assertEquals("first", Files.readString(f));
        AtomicFile.writeString(f, "second, longer than the first", AtomicFile.CHECKPOINT);
        assertEquals("second, longer than the first", Files.readString(f));
        assertEquals(List.of("report.json"), names(f.getParent()));
    }

    @Test
    void aRelativePathWorks() throws IOException {
        // a bare file name has no parent in the Path API; it means the working directory
        Path relative = Path.of("target", "atomic-file-test-" + ProcessHandle.current().pid() + ".txt");
        try {
            AtomicFile.writeString(relative, "ok", AtomicFile.CHECKPOINT);
            assertEquals("ok", Files.readString(relative));
        } finally {
            Files.deleteIfExists(relative);
        }
    }

    @Test
    void contentThatFailsHalfwayLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = oldFile("report.csv");
        IOException boom = new IOException("disk full (simulated)");
        CheckpointException e = assertThrows(CheckpointException.class, () -> AtomicFile.write(f, out -> {
            out.write(new byte[100_000]); // more than the buffer: part of it reached the temporary file
            throw boom;
        }));
        assertSame(boom, e.getCause());
        assertNames(f.toString(), e);
        assertNames("disk full (simulated)", e);
        assertArrayEquals(OLD, Files.readAllBytes(f));
        assertEquals(List.of("report.csv"), names(tmp));
    }

    @Test
    void aRuntimeErrorInTheContentAlsoCleansUp() throws IOException {
        Path f = oldFile("report.png");
        IllegalStateException boom = new IllegalStateException("renderer broke");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> AtomicFile.write(f, out -> {
            out.write(1);
            throw boom;
        })));
        assertArrayEquals(OLD, Files.readAllBytes(f));
        assertEquals(List.of("report.png"), names(tmp));
    }

    @Test
    void aDirectoryIsNotReplaced() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("report.json"));
        Path inside = Files.write(dir.resolve("keep.txt"), OLD);
        CheckpointException e = assertThrows(CheckpointException.class, () -> AtomicFile.writeString(dir, "x", AtomicFile.CHECKPOINT));
        assertNames(dir + ": is a directory", e);
        assertArrayEquals(OLD, Files.readAllBytes(inside));
        // an empty directory is not silently replaced either
        Path empty = Files.createDirectory(tmp.resolve("empty.json"));
        assertThrows(CheckpointException.class, () -> AtomicFile.writeString(empty, "x", AtomicFile.CHECKPOINT));
        assertTrue(Files.isDirectory(empty));
        assertEquals(List.of("empty.json", "report.json"), names(tmp));
    }

    @Test
    void aParentThatIsAFileGivesATypedErrorNamingTheTarget() throws IOException {
        Path file = oldFile("results");
        Path target = file.resolve("sub/report.json");
        CheckpointException e = assertThrows(CheckpointException.class, () -> AtomicFile.writeString(target, "x", AtomicFile.CHECKPOINT));
        assertNames(target.toString(), e);
        assertArrayEquals(OLD, Files.readAllBytes(file));
        assertEquals(List.of("results"), names(tmp));
    }

    @Test
    void anUnwritableDirectoryLeavesTheOldFile() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Path dir = Files.createDirectory(tmp.resolve("locked"));
        Path f = Files.write(dir.resolve("report.json"), OLD);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            // root ignores directory permissions, so there is nothing to test there
            assumeFalse(Files.isWritable(dir), "running as root: permissions are not enforced");
            CheckpointException e = assertThrows(CheckpointException.class, () -> AtomicFile.writeString(f, "new", AtomicFile.CHECKPOINT));
            assertNames(f.toString(), e);
            assertNames("no permission to create files in " + dir, e);
            assertArrayEquals(OLD, Files.readAllBytes(f));
            assertEquals(List.of("report.json"), names(dir));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void contentMayCloseItsStream() throws IOException {
        Path f = tmp.resolve("closed.bin");
        AtomicFile.write(f, out -> {
            out.write(new byte[] {1, 2, 3});
            out.close();
        });
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
    }

    @Test
    void theNewFileGetsOrdinaryPermissionsNotOwnerOnly() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Path f = tmp.resolve("perm.json");
        AtomicFile.writeString(f, "{}", AtomicFile.CHECKPOINT);
        // Files.createTempFile would have made it rw------- whatever the umask
        assertTrue(Files.getPosixFilePermissions(f).size() > 2, Files.getPosixFilePermissions(f).toString());
    }
}

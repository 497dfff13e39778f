package dev.nrpm.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file so that readers only ever see the old content or the complete new content: the
 * bytes go to a temporary file in the same directory (a rename is only atomic within one file
 * system), are forced to disk, and the temporary file is renamed over the target. A crash or an
 * exception part way leaves the target untouched and the temporary file deleted (a crash of the
 * JVM itself may leave a ".&lt;name&gt;.*.tmp" behind, never a damaged target). Missing parent
 * directories are created.
 */
public final class AtomicFile {
    /** Writes the new content; it must not keep the stream (closing it is harmless). */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    /**
     * @throws CheckpointException naming the target when the write, the sync or the rename fails;
     *         an exception thrown by the body propagates unchanged, after the clean-up
     */
    public static void write(Path target, Body body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        try {
            Files.createDirectories(dir);   // a fresh run's output folder does not exist yet
        } catch (IOException e) {
            throw new CheckpointException(target, "cannot create its directory " + dir + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        // a name of our own, created exclusively, with the umask's permissions (Files.createTempFile
        // would make the checkpoint owner-only readable)
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(new KeepOpen(Channels.newOutputStream(ch)), 1 << 16);
                body.write(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (AtomicMoveNotSupportedException e) {
            throw new CheckpointException(target, "cannot replace atomically: the file system does not support"
                    + " atomic rename", e);
        } catch (IOException e) {
            throw new CheckpointException(target, "cannot write (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "); the previous content, if any, is unchanged", e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more; the file is named so it is recognisable
                }
            }
        }
    }

    /** Makes the rename itself durable. Not every platform can open a directory; there it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows and some file systems refuse; the data itself was already forced
        }
    }

    /** The body may close its stream; the channel must stay open until it is forced. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

package dev.nrpm.report;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new one, never a
 * half-written file: the content goes to a hidden temporary file in the target's own directory
 * (so that the rename stays within one file system), is flushed to disk, and is renamed over the
 * target. If anything fails, the target is left as it was and the temporary file is deleted.
 * Missing parent directories are created. Every failure is a {@link ReportException} naming the
 * target.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Produces a file's content. The stream must not be closed (closing it only flushes). */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes text as UTF-8 (no byte-order mark). */
    public static void writeString(Path target, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    public static void write(Path target, Content content) {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw new ReportException(target + ": not a path to a file");
        }
        // checked up front: the rename would fail on a non-empty directory, but the fallback move
        // (REPLACE_EXISTING) would silently delete an empty one
        if (Files.isDirectory(file)) {
            throw new ReportException(target + ": is a directory, not a file that a report can replace");
        }
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new ReportException(target + ": cannot create its directory, " + e.getFile() + " exists and is not a directory", e);
        } catch (IOException e) {
            throw new ReportException(target + ": cannot create its directory " + dir + " (" + describe(e) + ")", e);
        }
        Path temp = dir.resolve(tempName(file));
        boolean moved = false;
        try {
            // not Files.createTempFile: its owner-only permissions would carry over to the report
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(new KeepOpen(out));
                out.flush();
                // on disk before the rename: after a crash the target is the old or the new file, not an empty one
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } catch (AccessDeniedException e) {
            // the temporary file is an implementation detail; the directory is what the user can fix
            String where = temp.toString().equals(e.getFile()) ? "no permission to create files in " + dir : describe(e);
            throw new ReportException(target + ": cannot write (" + where + ")", e);
        } catch (IOException e) {
            throw new ReportException(target + ": cannot write (" + describe(e) + ")", e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write already failed and that error is the one worth reporting
                }
            }
        }
    }

    /** ".name.1f2e3d4c5b6a7980.tmp": hidden, unique, and visibly tied to its target if ever left behind. */
    private static String tempName(Path file) {
        String name = file.getFileName().toString();
        // room for the suffix within the usual 255-byte limit on a file name
        String stem = name.length() > 120 ? name.substring(0, 120) : name;
        return "." + stem + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
    }

    /** The reason in a few words; the JDK's messages are often just the path. */
    static String describe(IOException e) {
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof FileAlreadyExistsException f) {
            return "already exists: " + f.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() == null ? "" : ": " + f.getFile());
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Lets content writers close "their" stream (ImageIO-style code does) without closing the file early. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // FilterOutputStream would write byte by byte
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

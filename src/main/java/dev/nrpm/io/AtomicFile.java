package dev.nrpm.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The one way this engine writes a file (checkpoints, reports, adversarial examples): readers only
 * ever see the old content or the complete new content. The bytes go to a hidden temporary file in
 * the target's own folder (a rename is atomic only within one file system), are forced to disk,
 * and the temporary file is renamed over the target with an atomic rename, after which the folder
 * is forced too, so the rename survives a crash. A file system that cannot rename atomically is a
 * clear error, never a silent non-atomic replace. When anything fails the target is left as it was
 * and the temporary file is deleted; temporary files that a killed run of an earlier process left
 * beside the target are removed by the next successful write. Missing parent folders are created;
 * a target that is a folder is refused (a replace would delete an empty one).
 *
 * <p>Failures are reported through the caller's {@link Failure}: checkpoints throw
 * {@link CheckpointException}, reports their own exception; the message always starts with the target.
 */
public final class AtomicFile {
    /** Writes the new content; it may close its stream (that only flushes). */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** Makes the exception for a failure: detail is one line without the target, cause may be null. */
    @FunctionalInterface
    public interface Failure {
        RuntimeException of(Path target, String detail, Throwable cause);
    }

    /** Checkpoints' failures. */
    public static final Failure CHECKPOINT = (target, detail, cause) -> new CheckpointException(target, detail, cause);

    private static final Pattern TEMP = Pattern.compile("\\.(.+)\\.[0-9a-f]{1,16}\\.tmp");

    private AtomicFile() {
    }

    /** As {@link #write(Path, Body, Failure)}, failing with a {@link CheckpointException}. */
    public static void write(Path target, Body body) {
        write(target, body, CHECKPOINT);
    }

    /** Writes text as UTF-8 (no byte-order mark). */
    public static void writeString(Path target, String text, Failure failure) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes), failure);
    }

    /**
     * @throws RuntimeException from failure, naming the target, when the folder, the write, the sync
     *         or the rename fails; an exception thrown by the body propagates unchanged, after the
     *         clean-up (an IOException from the body goes through failure)
     */
    public static void write(Path target, Body body, Failure failure) {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw failure.of(target, "not a path to a file", null);
        }
        if (Files.isDirectory(file)) {
            throw failure.of(target, "is a directory, not a file to replace", null);
        }
        try {
            Files.createDirectories(dir);   // a fresh run's output folder does not exist yet
        } catch (FileAlreadyExistsException e) {
            throw failure.of(target, "cannot create its directory, " + e.getFile() + " exists and is not a directory", e);
        } catch (IOException e) {
            throw failure.of(target, "cannot create its directory " + dir + " (" + describe(e) + ")", e);
        }
        // a name of our own, created exclusively, with the umask's permissions (Files.createTempFile
        // would make the file owner-only readable)
        Path temp = dir.resolve(tempName(file));
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(new KeepOpen(Channels.newOutputStream(channel)), 1 << 16);
                body.write(new KeepOpen(out));
                out.flush();
                channel.force(true); // on disk before the rename: after a crash, the old or the new file
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (AtomicMoveNotSupportedException e) {
            throw failure.of(target, "cannot be replaced atomically: this file system has no atomic rename"
                    + " (write it to a local disk)", e);
        } catch (AccessDeniedException e) {
            // the temporary file is an implementation detail; the folder is what the user can fix
            String where = temp.toString().equals(e.getFile()) ? "no permission to create files in " + dir : describe(e);
            throw failure.of(target, "cannot write (" + where + "); the previous content, if any, is unchanged", e);
        } catch (IOException e) {
            throw failure.of(target, "cannot write (" + describe(e) + "); the previous content, if any, is unchanged", e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original error matters more; the name ties the file to its target
                }
            }
        }
        sweepStaleTemporaries(file);
    }

    /** ".name.1f2e3d4c5b6a7980.tmp": hidden, unique, and visibly tied to its target if ever left behind. */
    private static String tempName(Path file) {
        String name = file.getFileName().toString();
        // room for the suffix within the usual 255-byte limit on a file name
        String stem = name.length() > 120 ? name.substring(0, 120) : name;
        return "." + stem + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
    }

    /**
     * Deletes the target's temporary files older than this JVM: a run killed mid-write left them,
     * and no writer of this process can own them. Best effort: a failure here is not the write's.
     */
    static void sweepStaleTemporaries(Path file) {
        String name = file.getFileName().toString();
        String stem = name.length() > 120 ? name.substring(0, 120) : name;
        long started = ManagementFactory.getRuntimeMXBean().getStartTime();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(file.getParent(), "." + glob(stem) + ".*.tmp")) {
            for (Path p : entries) {
                var m = TEMP.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).equals(stem) && Files.getLastModifiedTime(p).toMillis() < started) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // leaving a stale temporary file is harmless; failing a finished write is not
        }
    }

    private static String glob(String s) {
        return s.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    /** Makes the rename itself durable. Not every platform can open a directory; there it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows and some file systems refuse; the data itself was already forced
        }
    }

    static String describe(IOException e) {
        return dev.nrpm.error.IoErrors.describe(e);
    }

    /** The body may close its stream; the channel must stay open until it is forced. */
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

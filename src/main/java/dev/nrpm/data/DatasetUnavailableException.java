package dev.nrpm.data;

import dev.nrpm.error.IoErrors;
import dev.nrpm.error.NrpmException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A dataset whose files are not on disk and could not be fetched (downloading forbidden, the
 * network unreachable, a bad checksum) or could not be read. The message says which files are
 * missing and where; from {@link Datasets#open} it has three lines: what is missing where, the
 * cause (one line), and the fix (which URLs to fetch into which directory, or --data-dir).
 * {@link #directory()} and {@link #missingFiles()} give the same facts to programs.
 */
public class DatasetUnavailableException extends NrpmException {
    private final Path directory;
    private final List<String> missingFiles;

    public DatasetUnavailableException(String message, Path directory, List<String> missingFiles, Throwable cause) {
        super(message, cause);
        this.directory = directory;
        this.missingFiles = List.copyOf(missingFiles);
    }

    /** The data file named name at file could not be read: missing, or unreadable for the reason e gives. */
    static DatasetUnavailableException reading(String name, Path file, IOException e) {
        Path directory = file.toAbsolutePath().getParent();
        if (e instanceof NoSuchFileException) {
            return new DatasetUnavailableException(name + ": no such file: " + file, directory, List.of(name), e);
        }
        return new DatasetUnavailableException(name + ": cannot read " + file + " (" + IoErrors.describe(e) + ")",
                directory, List.of(), e);
    }

    /** The directory the files were looked for in, and where they should be put. */
    public Path directory() {
        return directory;
    }

    /** The file names that are missing (empty when the files exist but cannot be read). */
    public List<String> missingFiles() {
        return missingFiles;
    }
}

package dev.nrpm.data;

import dev.nrpm.error.NrpmException;

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

    /** The directory the files were looked for in, and where they should be put. */
    public Path directory() {
        return directory;
    }

    /** The file names that are missing (empty when the files exist but cannot be read). */
    public List<String> missingFiles() {
        return missingFiles;
    }
}

package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files one command reads and writes, checked before any work starts, so that a run never
 * destroys what the user did not ask to replace and never fails at its end for a path it could
 * have refused at once:
 * <ul>
 * <li>no output is one of the inputs (the same file, by path or by identity);</li>
 * <li>no two outputs are one file;</li>
 * <li>an existing checkpoint is replaced only when the user said so (--overwrite, or --resume for
 *     training); reports (JSON, CSV, plots, adversarial examples) the user named are replaced;</li>
 * <li>every output can be written: not a folder, and its folder exists and is writable, or can be
 *     created under a writable one.</li>
 * </ul>
 */
final class OutputGuard {
    private record Entry(String option, Path path, boolean checkpoint) {
    }

    private final List<Entry> inputs = new ArrayList<>();
    private final List<Entry> outputs = new ArrayList<>();

    OutputGuard input(String option, Path path) {
        if (path != null) {
            inputs.add(new Entry(option, path, false));
        }
        return this;
    }

    /** A report file: replaced when it exists (the user named it). */
    OutputGuard report(String option, Path path) {
        if (path != null) {
            outputs.add(new Entry(option, path, false));
        }
        return this;
    }

    /** A checkpoint: an existing one is replaced only when {@code replace} (else the error says how to ask). */
    OutputGuard checkpoint(String option, Path path, boolean replace, String howToReplace) {
        if (path == null) {
            return this;
        }
        if (!replace && Files.exists(path)) {
            throw new InvalidSettingException(option + " " + path + " already exists; " + howToReplace
                    + ", or give another path (nothing was written)");
        }
        outputs.add(new Entry(option, path, true));
        return this;
    }

    /** Throws, naming the options and the path, at the first conflict; checks writability. */
    void check() {
        for (int i = 0; i < outputs.size(); i++) {
            Entry out = outputs.get(i);
            for (Entry in : inputs) {
                if (same(out.path(), in.path())) {
                    throw new InvalidSettingException(out.option() + " " + out.path() + " is the file " + in.option()
                            + " reads: writing it would destroy it; give the output a path of its own");
                }
            }
            for (int j = 0; j < i; j++) {
                Entry other = outputs.get(j);
                if (same(out.path(), other.path())) {
                    throw new InvalidSettingException(other.option() + " and " + out.option() + " both name "
                            + out.path() + ": one would overwrite the other; give each its own path");
                }
            }
            writable(out);
        }
    }

    private static boolean same(Path a, Path b) {
        Path x = a.toAbsolutePath().normalize();
        Path y = b.toAbsolutePath().normalize();
        if (x.equals(y)) {
            return true;
        }
        try {
            return Files.exists(x) && Files.exists(y) && Files.isSameFile(x, y);
        } catch (IOException e) {
            return false;
        }
    }

    private static void writable(Entry out) {
        Path p = out.path().toAbsolutePath().normalize();
        if (Files.isDirectory(p)) {
            throw new InvalidSettingException(out.option() + " " + out.path() + " is a folder; give a file name");
        }
        if (Files.exists(p) && !Files.isWritable(p)) {
            throw new InvalidSettingException(out.option() + " " + out.path() + " exists and cannot be written");
        }
        Path dir = p.getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new InvalidSettingException(out.option() + " " + out.path() + ": cannot create files in "
                    + (dir == null ? "its folder" : dir) + " (not a writable folder)");
        }
    }
}

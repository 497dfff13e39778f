package dev.nrpm.data;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The one entry point that opens a dataset by name:
 *
 * <pre>
 *   mnist        1x28x28, 60,000 / 10,000 images   files in the data dir, downloaded when missing
 *   cifar10      3x32x32, 50,000 / 10,000 images   files in the data dir, downloaded when missing
 *   synth-mnist  1x28x28, generated in memory      {@link SynthMnist}
 *   synth-cifar  3x32x32, generated in memory      {@link SynthCifar}
 * </pre>
 *
 * A file dataset lives in one directory: {@link DataOptions#dataDir()} when given (a --data-dir
 * option), else {@code ~/.cache/nrpm/<name>} ({@code $XDG_CACHE_HOME/nrpm/<name>} where that is
 * set). Missing files are downloaded there when allowed; otherwise, or when the download fails,
 * a {@link DatasetUnavailableException} says which files to put where.
 */
public final class Datasets {
    public static final String MNIST = "mnist";
    public static final String CIFAR10 = "cifar10";
    public static final String SYNTH_MNIST = SynthMnist.NAME;
    public static final String SYNTH_CIFAR = SynthCifar.NAME;

    /** Synthetic split sizes when {@link DataOptions#synthSize()} is 0. */
    public static final int SYNTH_TRAIN_SIZE = 10_000;
    public static final int SYNTH_TEST_SIZE = 2_000;

    private static final List<String> NAMES = List.of(MNIST, CIFAR10, SYNTH_MNIST, SYNTH_CIFAR);

    private Datasets() {
    }

    /** The names {@link #open} accepts. */
    public static List<String> names() {
        return NAMES;
    }

    /** The image shape {C, H, W} of a dataset, known without opening it (to build a model first). */
    public static int[] imageShape(String name) {
        return switch (checked(name)) {
            case MNIST, SYNTH_MNIST -> new int[]{1, 28, 28};
            default -> new int[]{3, 32, 32};
        };
    }

    /** Opens a split with the default options: cache directory, downloading allowed, strict sizes. */
    public static ImageDataset open(String name, Split split) {
        return open(name, split, DataOptions.defaults());
    }

    /**
     * Opens a split of the named dataset.
     *
     * @throws UnknownDatasetException      for a name not in {@link #names()}
     * @throws DatasetUnavailableException  when files are missing and cannot be downloaded
     * @throws DataFormatException          when a file is malformed
     */
    public static ImageDataset open(String name, Split split, DataOptions options) {
        return switch (checked(name)) {
            case MNIST -> {
                Path dir = directory(MNIST, options);
                ensure(MNIST, dir, Manifests.mnist(split), f -> MnistReader.locate(dir, f.fileName()) != null, options);
                yield MnistReader.read(dir, split, options.strictSizes());
            }
            case CIFAR10 -> {
                Path dir = directory(CIFAR10, options);
                ensure(CIFAR10, dir, Manifests.cifar10(), f -> CifarReader.locate(dir) != null, options);
                yield CifarReader.read(dir, split, options.strictSizes());
            }
            case SYNTH_MNIST -> SynthMnist.generate(SYNTH_MNIST + "-" + split.label(), synthSize(split, options),
                    synthSeed(split, options));
            default -> SynthCifar.generate(SYNTH_CIFAR + "-" + split.label(), synthSize(split, options),
                    synthSeed(split, options));
        };
    }

    /** The directory a file dataset is read from under these options. */
    public static Path directory(String name, DataOptions options) {
        return options.dataDir() != null ? options.dataDir() : defaultDirectory(name);
    }

    /** {@code ~/.cache/nrpm/<name>}, or {@code $XDG_CACHE_HOME/nrpm/<name>} where that is set. */
    public static Path defaultDirectory(String name) {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() && Paths.get(xdg).isAbsolute()
                ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return cache.resolve("nrpm").resolve(checked(name));
    }

    /** The seed a synthetic split is generated from: train and test never share one. */
    public static long synthSeed(Split split, DataOptions options) {
        return 2 * options.synthSeed() + (split == Split.TEST ? 1 : 0);
    }

    private static int synthSize(Split split, DataOptions options) {
        if (options.synthSize() > 0) {
            return options.synthSize();
        }
        return split == Split.TRAIN ? SYNTH_TRAIN_SIZE : SYNTH_TEST_SIZE;
    }

    private static String checked(String name) {
        if (!NAMES.contains(name)) {
            throw new UnknownDatasetException("unknown dataset '" + name + "', expected one of " + String.join(", ", NAMES));
        }
        return name;
    }

    /**
     * Downloads the files that are not present, or explains what to do by hand. Package-private
     * so that tests can pass a manifest served from localhost: tests never contact real hosts.
     */
    static void ensure(String name, Path dir, List<RemoteFile> files, Predicate<RemoteFile> present,
                               DataOptions options) {
        List<RemoteFile> missing = missing(files, present);
        if (missing.isEmpty()) {
            return;
        }
        if (!options.download()) {
            throw unavailable(name, dir, missing, "downloading is turned off", null);
        }
        for (RemoteFile f : missing) {
            try {
                options.downloader().fetch(f.withMirrors(options.mirrors()), dir);
            } catch (DownloadException e) {
                throw unavailable(name, dir, missing(files, present), "download failed: " + e.getMessage(), e);
            }
        }
    }

    private static List<RemoteFile> missing(List<RemoteFile> files, Predicate<RemoteFile> present) {
        List<RemoteFile> out = new ArrayList<>();
        for (RemoteFile f : files) {
            if (!present.test(f)) {
                out.add(f);
            }
        }
        return out;
    }

    /** Three lines: what is missing where, why it was not fetched, what to do. */
    private static DatasetUnavailableException unavailable(String name, Path dir, List<RemoteFile> missing,
                                                           String cause, Throwable e) {
        Path where = dir.toAbsolutePath();
        List<String> names = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        for (RemoteFile f : missing) {
            names.add(f.fileName());
            urls.add(f.urls().get(0).toString());
        }
        String message = name + ": missing " + String.join(", ", names) + " in " + where
                + "\n  cause: " + cause.replace('\n', ' ')
                + "\n  fix: download " + String.join(" and ", urls) + " into " + where
                + " keeping the file names" + (name.equals(MNIST) ? " (unpacked, without .gz, also works)" : "")
                + ", or point --data-dir at a directory that holds them";
        return new DatasetUnavailableException(message, where, names, e);
    }
}

package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How {@link Datasets#open} finds and builds a dataset. Immutable; start from {@link #defaults()}
 * and change what differs:
 *
 * <pre>{@code
 * DataOptions.defaults().withDataDir(Path.of("/data/mnist")).withDownload(false)
 * }</pre>
 *
 * Defaults: the per-dataset cache directory ({@link Datasets#defaultDirectory}), downloading
 * allowed, strict sizes (files must have the real datasets' sizes), no extra mirrors, synthetic
 * sets of 10,000 (train) / 2,000 (test) images from base seed 0, default network timeouts.
 */
public final class DataOptions {
    private static final DataOptions DEFAULTS = new DataOptions(null, true, true, List.of(), 0, 0L, new Downloader());

    private final Path dataDir;
    private final boolean download;
    private final boolean strictSizes;
    private final List<URI> mirrors;
    private final int synthSize;
    private final long synthSeed;
    private final Downloader downloader;

    private DataOptions(Path dataDir, boolean download, boolean strictSizes, List<URI> mirrors, int synthSize,
                        long synthSeed, Downloader downloader) {
        this.dataDir = dataDir;
        this.download = download;
        this.strictSizes = strictSizes;
        this.mirrors = List.copyOf(mirrors);
        this.synthSize = synthSize;
        this.synthSeed = synthSeed;
        this.downloader = Objects.requireNonNull(downloader, "downloader");
    }

    public static DataOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The directory that holds the dataset's files themselves (e.g. the four MNIST .gz files),
     * as given by --data-dir; null for the default cache directory.
     */
    public DataOptions withDataDir(Path dir) {
        return new DataOptions(dir, download, strictSizes, mirrors, synthSize, synthSeed, downloader);
    }

    /** Whether missing files may be downloaded; false for offline use and tests. */
    public DataOptions withDownload(boolean allow) {
        return new DataOptions(dataDir, allow, strictSizes, mirrors, synthSize, synthSeed, downloader);
    }

    /**
     * Whether files must have the real datasets' sizes (60,000/10,000 MNIST images of 28x28,
     * 10,000 records per CIFAR-10 batch). Turn off to read subsets or small fixtures.
     */
    public DataOptions withStrictSizes(boolean strict) {
        return new DataOptions(dataDir, download, strict, mirrors, synthSize, synthSeed, downloader);
    }

    /** Base URLs tried, in order, before each file's usual URLs (a local or institutional mirror). */
    public DataOptions withMirrors(List<URI> bases) {
        return new DataOptions(dataDir, download, strictSizes, bases, synthSize, synthSeed, downloader);
    }

    /** Images in a synthetic split; 0 for the defaults (10,000 train, 2,000 test). */
    public DataOptions withSynthSize(int images) {
        if (images < 0) {
            throw new InvalidSettingException("synthetic dataset size must be >= 0, got " + images);
        }
        return new DataOptions(dataDir, download, strictSizes, mirrors, images, synthSeed, downloader);
    }

    /** The base seed of the synthetic sets; train and test use different seeds derived from it. */
    public DataOptions withSynthSeed(long seed) {
        return new DataOptions(dataDir, download, strictSizes, mirrors, synthSize, seed, downloader);
    }

    /** The downloader (its timeouts) used for missing files. */
    public DataOptions withDownloader(Downloader d) {
        return new DataOptions(dataDir, download, strictSizes, mirrors, synthSize, synthSeed, d);
    }

    /** The dataset directory given, or null for the default. */
    public Path dataDir() {
        return dataDir;
    }

    public boolean download() {
        return download;
    }

    public boolean strictSizes() {
        return strictSizes;
    }

    public List<URI> mirrors() {
        return mirrors;
    }

    public int synthSize() {
        return synthSize;
    }

    public long synthSeed() {
        return synthSeed;
    }

    public Downloader downloader() {
        return downloader;
    }
}

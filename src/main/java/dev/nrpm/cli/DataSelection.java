package dev.nrpm.cli;

import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.models.InputShape;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --data and where its files are, which slice to use, --batch. */
final class DataSelection {
    @Option(names = "--data", required = true, paramLabel = "mnist|cifar10|synth-mnist|synth-cifar",
            description = "Dataset; synth-* are built in and need no files.")
    String data;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Folder holding the dataset's files (default: ~/.cache/nrpm/<data>, downloaded when absent).")
    Path dataDir;

    @Option(names = "--no-download", description = "Never download: fail with a message saying where to put the files.")
    boolean noDownload;

    @Option(names = "--offset", defaultValue = "0", paramLabel = "N", description = "First evaluation sample.")
    int offset;

    @Option(names = "--limit", paramLabel = "N", description = "Number of evaluation samples (default: all).")
    Integer limit;

    @Option(names = "--batch", defaultValue = "100", paramLabel = "N", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    DataOptions options() {
        DataOptions o = DataOptions.defaults().withDownload(!noDownload);
        return dataDir == null ? o : o.withDataDir(dataDir);
    }

    ImageDataset open(Split split) {
        return Datasets.open(data, split, options());
    }

    /** The evaluation split, cut to --offset / --limit. */
    ImageDataset evaluation() {
        return slice(open(Split.TEST), offset, limit, "--offset", "--limit");
    }

    static ImageDataset slice(ImageDataset all, int offset, Integer limit, String offsetName, String limitName) {
        if (offset < 0 || offset >= all.size()) {
            throw new InvalidSettingException(offsetName + " " + offset + " outside the " + all.size()
                    + " samples of " + all.name());
        }
        int n = limit == null ? all.size() - offset : limit;
        if (n < 1 || offset + n > all.size()) {
            throw new InvalidSettingException(limitName + " " + n + " with " + offsetName + " " + offset
                    + " does not fit the " + all.size() + " samples of " + all.name());
        }
        return all.slice(offset, n);
    }

    InputShape shape() {
        int[] s = Datasets.imageShape(data);
        return new InputShape(s[0], s[1], s[2]);
    }

    void checkBatch() {
        if (batch < 1) {
            throw new InvalidSettingException("--batch must be >= 1, got " + batch);
        }
    }
}

package dev.nrpm.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads MNIST from its IDX files, gzip-compressed or not (decided by content, not by name).
 *
 * <p>Images become a (N, 1, rows, cols) {@link ImageDataset} with 10 classes. Everything is
 * checked: magic numbers, that the file length is exactly header + payload, that the image and
 * label counts agree, that labels are 0..9; each failure is a {@link DataFormatException} naming
 * the file.
 */
public final class MnistReader {
    /** Standard names in the distribution; each may also be present unpacked, without ".gz". */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    static final int CLASSES = 10;
    static final int SIDE = 28;

    private MnistReader() {
    }

    /** The standard (images, labels) file names of a split, in their .gz form. */
    public static List<String> fileNames(Split split) {
        return split == Split.TRAIN ? List.of(TRAIN_IMAGES, TRAIN_LABELS) : List.of(TEST_IMAGES, TEST_LABELS);
    }

    /**
     * Where a standard file is in dir: the name as given (.gz) or its unpacked form without
     * ".gz", whichever exists (the .gz first); null when neither does.
     */
    public static Path locate(Path dir, String gzName) {
        Path gz = dir.resolve(gzName);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path unpacked = dir.resolve(gzName.substring(0, gzName.length() - ".gz".length()));
        return Files.isRegularFile(unpacked) ? unpacked : null;
    }

    /**
     * Reads a split from the standard files in dir. With {@code strict}, the sizes must also be
     * those of the real distribution (60,000 or 10,000 images of 28x28), which catches a partial
     * copy; without, any consistent pair of files is accepted (subsets, small test fixtures).
     *
     * @throws DatasetUnavailableException when a file is missing
     * @throws DataFormatException         when a file is malformed
     */
    public static ImageDataset read(Path dir, Split split, boolean strict) {
        List<String> names = fileNames(split);
        Path images = locate(dir, names.get(0));
        Path labels = locate(dir, names.get(1));
        if (images == null || labels == null) {
            List<String> missing = images == null && labels == null ? names
                    : List.of(images == null ? names.get(0) : names.get(1));
            throw new DatasetUnavailableException("mnist: missing " + String.join(", ", missing) + " in "
                    + dir.toAbsolutePath() + " (the unpacked names without .gz are accepted too)",
                    dir.toAbsolutePath(), missing, null);
        }
        ImageDataset data = read(images, labels, "mnist-" + split.label());
        if (strict) {
            int expected = split == Split.TRAIN ? 60_000 : 10_000;
            if (data.size() != expected || data.height() != SIDE || data.width() != SIDE) {
                throw new DataFormatException(images.getFileName() + ": " + data.size() + " images of "
                        + data.height() + "x" + data.width() + ", the MNIST " + split.label() + " set has "
                        + expected + " of " + SIDE + "x" + SIDE + " (a partial or damaged copy? download it again, or delete it to let nrpm fetch it; --limit evaluates fewer)");
            }
        }
        return data;
    }

    /** Reads an image file and its label file into a dataset called name. */
    public static ImageDataset read(Path imageFile, Path labelFile, String name) {
        IdxFile images = IdxFile.read(imageFile, IdxFile.IMAGE_MAGIC);
        int count = images.dims[0];
        if (count == 0) {
            throw new DataFormatException(images.fileName + ": the header says 0 images");
        }
        IdxFile labels = IdxFile.read(labelFile, IdxFile.LABEL_MAGIC);
        if (labels.dims[0] != count) {
            throw new DataFormatException(labels.fileName + ": " + labels.dims[0] + " labels for " + count
                    + " images in " + images.fileName);
        }
        for (int i = 0; i < count; i++) {
            int label = labels.data[i] & 0xFF;
            if (label >= CLASSES) {
                throw new DataFormatException(labels.fileName + ": label " + label + " at index " + i + " outside 0..9");
            }
        }
        // (N, rows, cols) bytes are already (N, 1, rows, cols): one channel adds no reordering
        return new ImageDataset(name, 1, images.dims[1], images.dims[2], CLASSES, images.data, labels.data);
    }
}

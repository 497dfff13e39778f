package dev.nrpm.data;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads CIFAR-10 from its binary batches, either unpacked ({@code cifar-10-batches-bin/}) or
 * straight from the canonical archive {@code cifar-10-binary.tar.gz} (nothing is extracted to
 * disk, so archive member paths are never trusted as file names).
 *
 * <p>A batch file is a sequence of 3073-byte records: one label byte (0..9), then 3072 pixel
 * bytes, the 32x32 red plane, then green, then blue, each row-major. That is already the (C, H,
 * W) layout of an {@link ImageDataset}, so records are copied as they are. The training split is
 * data_batch_1.bin to data_batch_5.bin concatenated in that order, the test split test_batch.bin.
 */
public final class CifarReader {
    /** The canonical archive, as downloaded. */
    public static final String ARCHIVE = "cifar-10-binary.tar.gz";
    /** The folder the archive unpacks to. */
    public static final String FOLDER = "cifar-10-batches-bin";
    /** Bytes per record: 1 label + 3 * 32 * 32 pixels. */
    public static final int RECORD_BYTES = 1 + 3 * 32 * 32;
    /** Records in every batch file of the real distribution. */
    public static final int RECORDS_PER_FILE = 10_000;

    private static final int CLASSES = 10;
    private static final long MAX_FILE = (Integer.MAX_VALUE - 8) / RECORD_BYTES * (long) RECORD_BYTES;

    private CifarReader() {
    }

    /** The batch file names of a split, in reading order. */
    public static List<String> fileNames(Split split) {
        if (split == Split.TEST) {
            return List.of("test_batch.bin");
        }
        return List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    }

    /**
     * Where the data is under dir, in order of preference: the unpacked folder
     * dir/cifar-10-batches-bin, dir itself when it holds batch files, or the archive
     * dir/cifar-10-binary.tar.gz. Null when none of them exists.
     */
    public static Path locate(Path dir) {
        Path folder = dir.resolve(FOLDER);
        if (Files.isDirectory(folder)) {
            return folder;
        }
        if (Files.isRegularFile(dir.resolve("test_batch.bin")) || Files.isRegularFile(dir.resolve("data_batch_1.bin"))) {
            return dir;
        }
        Path archive = dir.resolve(ARCHIVE);
        return Files.isRegularFile(archive) ? archive : null;
    }

    /**
     * Reads a split from whatever {@link #locate} finds under dir. With {@code strict}, every
     * batch file must hold exactly 10,000 records as in the real distribution (a partial copy
     * fails loudly); without, any positive number of records is accepted (subsets, fixtures).
     *
     * @throws DatasetUnavailableException when the data or one of the split's files is missing
     * @throws DataFormatException         when a file is malformed
     */
    public static ImageDataset read(Path dir, Split split, boolean strict) {
        Path where = locate(dir);
        if (where == null) {
            throw new DatasetUnavailableException("cifar10: missing " + ARCHIVE + " (or its unpacked folder "
                    + FOLDER + "/) in " + dir.toAbsolutePath(), dir.toAbsolutePath(), List.of(ARCHIVE), null);
        }
        return Files.isDirectory(where) ? readFolder(where, split, strict) : readArchive(where, split, strict);
    }

    /** Reads a split from a folder holding the batch files. */
    public static ImageDataset readFolder(Path folder, Split split, boolean strict) {
        List<String> missing = new ArrayList<>();
        for (String name : fileNames(split)) {
            if (!Files.isRegularFile(folder.resolve(name))) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new DatasetUnavailableException("cifar10: missing " + String.join(", ", missing) + " in "
                    + folder.toAbsolutePath(), folder.toAbsolutePath(), missing, null);
        }
        List<Batch> batches = new ArrayList<>();
        for (String name : fileNames(split)) {
            batches.add(readBatchFile(folder.resolve(name), strict));
        }
        return concat("cifar10-" + split.label(), batches);
    }

    /** Reads one batch file into a dataset named after the file. */
    public static ImageDataset readBatch(Path file, boolean strict) {
        return concat(String.valueOf(file.getFileName()), List.of(readBatchFile(file, strict)));
    }

    /** Reads a split from the archive (gzip-compressed or plain tar, decided by content). */
    public static ImageDataset readArchive(Path archive, Split split, boolean strict) {
        String archiveName = String.valueOf(archive.getFileName());
        List<String> wanted = fileNames(split);
        Map<String, Batch> found = new HashMap<>();
        try (InputStream in = Gzip.open(archive); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while (found.size() < wanted.size() && (entry = tar.getNextEntry()) != null) {
                String base = entry.getName().substring(entry.getName().lastIndexOf('/') + 1);
                if (!entry.isFile() || !wanted.contains(base) || found.containsKey(base)) {
                    continue;
                }
                String source = archiveName + " (" + entry.getName() + ")";
                long size = entry.getSize();
                checkLength(source, size, strict);
                byte[] data = tar.readNBytes((int) size);
                if (data.length != size) {
                    throw new DataFormatException(source + ": truncated archive: the entry promises " + size
                            + " bytes, " + data.length + " are there");
                }
                found.put(base, parse(source, data, strict));
            }
            // read to the end, so that gzip checks every member's CRC and length (corrupt pixels
            // in what was just read would otherwise pass) and the archive's trailing bytes
            in.transferTo(OutputStream.nullOutputStream());
        } catch (NoSuchFileException e) {
            throw new DatasetUnavailableException(archiveName + ": no such file: " + archive,
                    archive.toAbsolutePath().getParent(), List.of(archiveName), e);
        } catch (IOException e) {
            // commons-compress and GZIPInputStream report truncation and corruption as IOExceptions
            throw new DataFormatException(archiveName + ": corrupt or truncated archive (" + dev.nrpm.error.IoErrors.describe(e) + ")", e);
        }
        List<Batch> batches = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : wanted) {
            if (found.containsKey(name)) {
                batches.add(found.get(name));
            } else {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new DataFormatException(archiveName + ": the archive has no " + String.join(", ", missing));
        }
        return concat("cifar10-" + split.label(), batches);
    }

    /** One checked batch file: its raw records, label byte then (3, 32, 32) pixels each. */
    private record Batch(byte[] records) {
        int size() {
            return records.length / RECORD_BYTES;
        }
    }

    private static Batch readBatchFile(Path file, boolean strict) {
        String name = String.valueOf(file.getFileName());
        try {
            checkLength(name, Files.size(file), strict);   // before allocating: the length may be absurd
            return parse(name, Files.readAllBytes(file), strict);
        } catch (IOException e) {
            throw DatasetUnavailableException.reading(name, file, e);
        }
    }

    private static void checkLength(String source, long length, boolean strict) {
        if (length == 0) {
            throw new DataFormatException(source + ": empty file, no records");
        }
        if (length % RECORD_BYTES != 0) {
            throw new DataFormatException(source + ": length " + length + " is not a multiple of the "
                    + RECORD_BYTES + "-byte record (" + length / RECORD_BYTES + " records and "
                    + length % RECORD_BYTES + " bytes over): truncated or not a CIFAR-10 batch");
        }
        if (length > MAX_FILE) {
            throw new DataFormatException(source + ": " + length / RECORD_BYTES + " records, more than one array can hold");
        }
        long records = length / RECORD_BYTES;
        if (strict && records != RECORDS_PER_FILE) {
            throw new DataFormatException(source + ": " + records + " records, a CIFAR-10 batch file has "
                    + RECORDS_PER_FILE + " (a partial or damaged copy? download it again, or delete it to let nrpm fetch it)");
        }
    }

    /** Checks the length and every label; the records are kept as they are until concat. */
    private static Batch parse(String source, byte[] data, boolean strict) {
        checkLength(source, data.length, strict);
        for (int i = 0, n = data.length / RECORD_BYTES; i < n; i++) {
            int label = data[i * RECORD_BYTES] & 0xFF;
            if (label >= CLASSES) {
                throw new DataFormatException(source + ": label " + label + " in record " + i + " outside 0..9");
            }
        }
        return new Batch(data);
    }

    /** Splits the records of all batches, in order, into one labels (N) and one pixels (N, 3, 32, 32) array. */
    private static ImageDataset concat(String name, List<Batch> batches) {
        int n = 0;
        for (Batch b : batches) {
            n = Math.addExact(n, b.size());
        }
        int image = RECORD_BYTES - 1;
        byte[] labels = new byte[n];
        byte[] pixels = new byte[Math.multiplyExact(n, image)];
        int at = 0;
        for (Batch b : batches) {
            for (int i = 0; i < b.size(); i++, at++) {
                labels[at] = b.records()[i * RECORD_BYTES];
                System.arraycopy(b.records(), i * RECORD_BYTES + 1, pixels, at * image, image);
            }
        }
        return new ImageDataset(name, 3, 32, 32, CLASSES, pixels, labels);
    }
}

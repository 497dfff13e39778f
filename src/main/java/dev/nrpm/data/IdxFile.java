package dev.nrpm.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One IDX file (the format of the MNIST distribution), raw or gzip, fully validated.
 *
 * <p>Layout, all integers big-endian: a 4-byte magic {@code 00 00 TT DD} where TT is the element
 * type (08 = unsigned byte) and DD the number of dimensions, then DD 4-byte sizes, then the
 * elements in row-major order. MNIST images are 2051 (ubyte, 3 dims: count, rows, cols), labels
 * 2049 (ubyte, 1 dim: count). The file must hold exactly header + payload bytes: a shorter file
 * was truncated, a longer one is not what its header says.
 */
final class IdxFile {
    static final int IMAGE_MAGIC = 0x00000803;   // 2051
    static final int LABEL_MAGIC = 0x00000801;   // 2049

    /** Java arrays stop a little short of Integer.MAX_VALUE. */
    private static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;
    private static final int BUFFER = 1 << 16;

    final String fileName;
    final int[] dims;
    final byte[] data;

    private IdxFile(String fileName, int[] dims, byte[] data) {
        this.fileName = fileName;
        this.dims = dims;
        this.data = data;
    }

    /** Reads and checks a file that must carry {@code magic} ({@link #IMAGE_MAGIC} or {@link #LABEL_MAGIC}). */
    static IdxFile read(Path file, int magic) {
        String name = String.valueOf(file.getFileName());
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER)) {
            boolean gzip = Gzip.startsWithMagic(raw);
            InputStream in = gzip ? new GZIPInputStream(raw, BUFFER) : raw;
            return parse(name, in, gzip ? -1 : Files.size(file), magic);
        } catch (EOFException | ZipException e) {
            // only GZIPInputStream throws these here: our own reads return short counts instead
            throw new DataFormatException(name + ": corrupt or truncated gzip data (" + dev.nrpm.error.IoErrors.describe(e) + ")", e);
        } catch (IOException e) {
            throw DatasetUnavailableException.reading(name, file, e);
        }
    }

    /** fileSize is the raw length for uncompressed files, -1 when only the stream knows it. */
    private static IdxFile parse(String name, InputStream in, long fileSize, int magic) throws IOException {
        String kind = magic == IMAGE_MAGIC ? "image" : "label";
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new DataFormatException(name + ": truncated: " + head.length + " bytes, shorter than an IDX magic number");
        }
        int found = bigEndian(head, 0);
        if (found != magic) {
            throw new DataFormatException(name + ": wrong magic number " + found + ", expected " + magic
                    + " (an IDX " + kind + " file)" + magicHint(found));
        }
        int ndims = magic & 0xFF;
        long headerLength = 4 + 4L * ndims;
        byte[] dimBytes = in.readNBytes(4 * ndims);
        if (dimBytes.length < 4 * ndims) {
            throw new DataFormatException(name + ": truncated: " + (4 + dimBytes.length) + " bytes, the IDX "
                    + kind + " header needs " + headerLength);
        }
        int[] dims = new int[ndims];
        long payload = 1;
        for (int d = 0; d < ndims; d++) {
            dims[d] = bigEndian(dimBytes, 4 * d);
            if (dims[d] < 0 || (d > 0 && dims[d] == 0)) {
                throw new DataFormatException(name + ": invalid header: " + dimName(d) + " is " + dims[d]);
            }
            payload *= dims[d];
            if (payload > MAX_PAYLOAD) {
                throw new DataFormatException(name + ": invalid header: " + describe(dims, d + 1)
                        + " is more than a Java array can hold");
            }
        }
        long expected = headerLength + payload;
        String what = describe(dims, ndims);
        if (fileSize >= 0 && fileSize != expected) {
            throw sizeError(name, what, expected, fileSize, "the file has");
        }
        byte[] data = in.readNBytes((int) payload);
        if (data.length < payload) {
            throw sizeError(name, what, expected, headerLength + data.length, "the decompressed data has");
        }
        long trailing = in.transferTo(OutputStream.nullOutputStream());
        if (trailing > 0) {
            throw sizeError(name, what, expected, expected + trailing, "the decompressed data has");
        }
        return new IdxFile(name, dims, data);
    }

    private static DataFormatException sizeError(String name, String what, long expected, long actual, String has) {
        if (actual < expected) {
            return new DataFormatException(name + ": truncated: the header promises " + what + " ("
                    + expected + " bytes), " + has + " " + actual);
        }
        return new DataFormatException(name + ": " + (actual - expected) + " bytes of trailing data after "
                + what + " (" + expected + " bytes expected, " + has + " " + actual + ")");
    }

    private static String magicHint(int found) {
        if (found == IMAGE_MAGIC) {
            return "; " + found + " is an IDX image file, are the image and label files swapped?";
        }
        if (found == LABEL_MAGIC) {
            return "; " + found + " is an IDX label file, are the image and label files swapped?";
        }
        return "";
    }

    private static String dimName(int d) {
        return d == 0 ? "the count" : d == 1 ? "the row count" : "the column count";
    }

    /** "10000 images of 28x28" or "10000 labels", from the first n dimensions. */
    private static String describe(int[] dims, int n) {
        if (dims.length == 1) {
            return dims[0] + " labels";
        }
        return dims[0] + " images" + (n >= 3 ? " of " + dims[1] + "x" + dims[2] : "");
    }

    static int bigEndian(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}

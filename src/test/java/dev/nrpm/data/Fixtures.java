package dev.nrpm.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The formulas behind test-data/ (mirrors test-data/generate.py; keep the two in step), plus
 * builders for well-formed files that tests then corrupt in a temp directory.
 */
final class Fixtures {
    /** test-data/ in the project root, where Maven runs the tests. */
    static final Path ROOT = Paths.get("test-data");

    private Fixtures() {
    }

    static int mnistPixel(int seed, int i, int r, int c) {
        return (seed * 101 + i * 37 + r * 11 + c * 5) % 256;
    }

    static int mnistLabel(int seed, int i) {
        return (seed * 3 + i * 7) % 10;
    }

    static int cifarPixel(int batch, int i, int ch, int r, int c) {
        return (batch * 59 + i * 31 + ch * 85 + r * 7 + c * 3) % 256;
    }

    static int cifarLabel(int batch, int i) {
        return (batch * 3 + i) % 10;
    }

    /** An IDX image file (magic 2051) of count side x side images. */
    static byte[] idxImages(int seed, int count, int side) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * side * side);
        b.putInt(2051).putInt(count).putInt(side).putInt(side);
        for (int i = 0; i < count; i++) {
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    b.put((byte) mnistPixel(seed, i, r, c));
                }
            }
        }
        return b.array();
    }

    /** An IDX label file (magic 2049) of count labels. */
    static byte[] idxLabels(int seed, int count) {
        ByteBuffer b = ByteBuffer.allocate(8 + count);
        b.putInt(2049).putInt(count);
        for (int i = 0; i < count; i++) {
            b.put((byte) mnistLabel(seed, i));
        }
        return b.array();
    }

    /** A CIFAR-10 batch of count records, numbered batch in the formulas. */
    static byte[] cifarBatch(int batch, int count) {
        byte[] out = new byte[count * CifarReader.RECORD_BYTES];
        int k = 0;
        for (int i = 0; i < count; i++) {
            out[k++] = (byte) cifarLabel(batch, i);
            for (int ch = 0; ch < 3; ch++) {
                for (int r = 0; r < 32; r++) {
                    for (int c = 0; c < 32; c++) {
                        out[k++] = (byte) cifarPixel(batch, i, ch, r, c);
                    }
                }
            }
        }
        return out;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Messages are for people: one line, starting with the file's name, saying what is wrong. */
    static void assertMessage(Throwable e, String fileName, String... fragments) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), () -> "message spans lines: " + m);
        assertTrue(m.startsWith(fileName), () -> "message does not start with " + fileName + ": " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), () -> "message lacks '" + f + "': " + m);
        }
    }
}

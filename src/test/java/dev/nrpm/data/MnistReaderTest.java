package dev.nrpm.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.nrpm.data.Fixtures.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MnistReaderTest {
    private static final String IMAGES = "t10k-images-idx3-ubyte";
    private static final String LABELS = "t10k-labels-idx1-ubyte";

    @TempDir
    Path tmp;

    private static void assertFixture(ImageDataset d, int seed, int count) {
        assertEquals(count, d.size());
        assertEquals(1, d.channels());
        assertEquals(28, d.height());
        assertEquals(28, d.width());
        assertEquals(10, d.numClasses());
        for (int i = 0; i < count; i++) {
            assertEquals(Fixtures.mnistLabel(seed, i), d.label(i), "label " + i);
            for (int r = 0; r < 28; r += 3) {
                for (int c = 0; c < 28; c += 5) {
                    assertEquals(Fixtures.mnistPixel(seed, i, r, c), d.pixel(i, 0, r, c), "pixel " + i + "," + r + "," + c);
                }
            }
        }
        float[] first = d.image(0);
        assertEquals(Fixtures.mnistPixel(seed, 0, 27, 27) / 255.0f, first[27 * 28 + 27], 0.0f);
    }

    @Test
    void readsRawAndGzipFixturesIdentically() {
        ImageDataset raw = MnistReader.read(Fixtures.ROOT.resolve("mnist-raw"), Split.TEST, false);
        ImageDataset gz = MnistReader.read(Fixtures.ROOT.resolve("mnist-gz"), Split.TEST, false);
        assertFixture(raw, 0, 20);
        assertFixture(gz, 0, 20);
        assertArrayEquals(raw.images(0, 20), gz.images(0, 20));
        assertEquals("mnist-test", raw.name());
    }

    @Test
    void readsTrainSplit() {
        ImageDataset train = MnistReader.read(Fixtures.ROOT.resolve("mnist-gz"), Split.TRAIN, false);
        assertFixture(train, 1, 30);
        assertEquals("mnist-train", train.name());
    }

    @Test
    void detectsGzipByContentNotByName() {
        // gzip data without .gz, raw data with .gz: both read correctly
        Path images = Fixtures.write(tmp.resolve("images"), Fixtures.gzip(Fixtures.idxImages(0, 20, 28)));
        Path labels = Fixtures.write(tmp.resolve("labels.gz"), Fixtures.idxLabels(0, 20));
        assertFixture(MnistReader.read(images, labels, "swapped"), 0, 20);
    }

    @Test
    void strictSizesRejectASubsetOfTheRealData() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> MnistReader.read(Fixtures.ROOT.resolve("mnist-gz"), Split.TEST, true));
        assertMessage(e, "t10k-images-idx3-ubyte.gz", "20 images of 28x28", "10000");
    }

    @Test
    void missingFilesAreNamedWithTheirDirectory() {
        Fixtures.write(tmp.resolve(IMAGES), Fixtures.idxImages(0, 3, 28));
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> MnistReader.read(tmp, Split.TEST, false));
        assertEquals(List.of(LABELS + ".gz"), e.missingFiles());
        assertEquals(tmp.toAbsolutePath(), e.directory());
        assertMessage(e, "mnist", LABELS + ".gz", tmp.toAbsolutePath().toString());
    }

    private DataFormatException readBroken(byte[] images, byte[] labels, String brokenName) {
        Path i = Fixtures.write(tmp.resolve(IMAGES + (brokenName.endsWith(".gz") ? ".gz" : "")), images);
        Path l = Fixtures.write(tmp.resolve(LABELS), labels);
        DataFormatException e = assertThrows(DataFormatException.class, () -> MnistReader.read(i, l, "broken"));
        return e;
    }

    @Test
    void wrongImageMagicIsNamed() {
        byte[] images = Fixtures.idxImages(0, 5, 28);
        images[3] = 0x01;  // 2049: a label file's magic
        DataFormatException e = readBroken(images, Fixtures.idxLabels(0, 5), IMAGES);
        assertMessage(e, IMAGES, "wrong magic number 2049, expected 2051 (an IDX image file)", "swapped");
    }

    @Test
    void wrongMagicInsideGzipIsNamed() {
        byte[] images = Fixtures.idxImages(0, 5, 28);
        images[2] = 0x0D;  // float elements: not MNIST
        DataFormatException e = readBroken(Fixtures.gzip(images), Fixtures.idxLabels(0, 5), IMAGES + ".gz");
        assertMessage(e, IMAGES + ".gz", "wrong magic number " + 0x0D03 + ", expected 2051");
    }

    @Test
    void wrongLabelMagicIsNamed() {
        Path i = Fixtures.write(tmp.resolve(IMAGES), Fixtures.idxImages(0, 5, 28));
        Path l = Fixtures.write(tmp.resolve(LABELS), Fixtures.idxImages(0, 5, 28));
        DataFormatException e = assertThrows(DataFormatException.class, () -> MnistReader.read(i, l, "x"));
        assertMessage(e, LABELS, "wrong magic number 2051, expected 2049 (an IDX label file)");
    }

    @Test
    void truncatedRawFileIsReportedBeforeReading() {
        byte[] images = Fixtures.idxImages(0, 5, 28);
        DataFormatException e = readBroken(Arrays.copyOf(images, images.length - 100), Fixtures.idxLabels(0, 5), IMAGES);
        assertMessage(e, IMAGES, "truncated", "5 images of 28x28", String.valueOf(images.length),
                String.valueOf(images.length - 100));
    }

    @Test
    void truncatedGzipPayloadIsReported() {
        // a complete gzip stream whose content is cut short
        byte[] images = Fixtures.idxImages(0, 5, 28);
        DataFormatException e = readBroken(Fixtures.gzip(Arrays.copyOf(images, images.length - 1)),
                Fixtures.idxLabels(0, 5), IMAGES + ".gz");
        assertMessage(e, IMAGES + ".gz", "truncated", "decompressed");
    }

    @Test
    void cutGzipStreamIsReported() {
        // the compressed file itself cut short, as by an interrupted download
        byte[] gz = Fixtures.gzip(Fixtures.idxImages(0, 5, 28));
        DataFormatException e = readBroken(Arrays.copyOf(gz, gz.length / 2), Fixtures.idxLabels(0, 5), IMAGES + ".gz");
        assertMessage(e, IMAGES + ".gz", "gzip");
    }

    @Test
    void headerShorterThanItsFieldsIsTruncated() {
        DataFormatException e = readBroken(Arrays.copyOf(Fixtures.idxImages(0, 5, 28), 10), Fixtures.idxLabels(0, 5), IMAGES);
        assertMessage(e, IMAGES, "truncated", "header needs 16");
        e = readBroken(new byte[]{0, 0}, Fixtures.idxLabels(0, 5), IMAGES);
        assertMessage(e, IMAGES, "truncated", "2 bytes");
    }

    @Test
    void trailingGarbageIsRejected() {
        byte[] images = Fixtures.idxImages(0, 5, 28);
        DataFormatException e = readBroken(Arrays.copyOf(images, images.length + 7), Fixtures.idxLabels(0, 5), IMAGES);
        assertMessage(e, IMAGES, "7 bytes of trailing data", "5 images of 28x28");
        e = readBroken(Fixtures.gzip(Arrays.copyOf(images, images.length + 3)), Fixtures.idxLabels(0, 5), IMAGES + ".gz");
        assertMessage(e, IMAGES + ".gz", "3 bytes of trailing data");
    }

    @Test
    void absurdHeaderCountsAreRejectedWithoutAllocating() {
        byte[] images = Fixtures.idxImages(0, 5, 28);
        ByteBuffer.wrap(images).putInt(4, -3);
        assertMessage(readBroken(images, Fixtures.idxLabels(0, 5), IMAGES), IMAGES, "invalid header", "count is -3");
        ByteBuffer.wrap(images).putInt(4, Integer.MAX_VALUE);
        assertMessage(readBroken(Fixtures.gzip(images), Fixtures.idxLabels(0, 5), IMAGES + ".gz"), IMAGES + ".gz",
                "invalid header", "more than a Java array");
        ByteBuffer.wrap(images).putInt(4, 5).putInt(8, 0);
        assertMessage(readBroken(images, Fixtures.idxLabels(0, 5), IMAGES), IMAGES, "row count is 0");
    }

    @Test
    void imageAndLabelCountsMustAgree() {
        DataFormatException e = readBroken(Fixtures.idxImages(0, 5, 28), Fixtures.idxLabels(0, 4), IMAGES);
        assertMessage(e, LABELS, "4 labels for 5 images in " + IMAGES);
    }

    @Test
    void zeroImagesIsAnError() {
        DataFormatException e = readBroken(Fixtures.idxImages(0, 0, 28), Fixtures.idxLabels(0, 0), IMAGES);
        assertMessage(e, IMAGES, "0 images");
    }

    @Test
    void labelOutOfRangeIsNamedWithItsIndex() {
        byte[] labels = Fixtures.idxLabels(0, 5);
        labels[8 + 3] = 10;
        DataFormatException e = readBroken(Fixtures.idxImages(0, 5, 28), labels, IMAGES);
        assertMessage(e, LABELS, "label 10 at index 3 outside 0..9");
    }

    @Test
    void readsNonSquareImages() {
        // IDX allows any rows x cols; only strict mode insists on 28x28
        ByteBuffer b = ByteBuffer.allocate(16 + 2 * 3 * 4);
        b.putInt(2051).putInt(2).putInt(3).putInt(4);
        for (int k = 0; k < 24; k++) {
            b.put((byte) (k * 10));
        }
        Path i = Fixtures.write(tmp.resolve("small-images"), b.array());
        Path l = Fixtures.write(tmp.resolve("small-labels"), Fixtures.idxLabels(0, 2));
        ImageDataset d = MnistReader.read(i, l, "small");
        assertEquals(3, d.height());
        assertEquals(4, d.width());
        assertEquals(23 * 10, d.pixel(1, 0, 2, 3));
    }
}

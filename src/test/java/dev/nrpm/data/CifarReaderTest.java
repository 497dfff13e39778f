package dev.nrpm.data;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nrpm.data.Fixtures.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CifarReaderTest {
    /** Records per batch in test-data (generate.py): data_batch_1 has 3, the others 2; batch 6 is the test batch. */
    private static final int[] RECORDS = {0, 3, 2, 2, 2, 2, 2};

    @TempDir
    Path tmp;

    /** Checks records [from, from + count) of dataset against batch number `batch` of the formulas. */
    private static void assertBatch(ImageDataset d, int from, int batch, int count) {
        for (int i = 0; i < count; i++) {
            assertEquals(Fixtures.cifarLabel(batch, i), d.label(from + i), "label of batch " + batch + " record " + i);
            for (int ch = 0; ch < 3; ch++) {
                for (int r = 0; r < 32; r += 7) {
                    for (int c = 0; c < 32; c += 5) {
                        assertEquals(Fixtures.cifarPixel(batch, i, ch, r, c), d.pixel(from + i, ch, r, c),
                                "batch " + batch + " record " + i + " at " + ch + "," + r + "," + c);
                    }
                }
            }
        }
    }

    private static void assertTrainSplit(ImageDataset train) {
        assertEquals(11, train.size());
        assertEquals("cifar10-train", train.name());
        int at = 0;
        for (int b = 1; b <= 5; b++) {
            assertBatch(train, at, b, RECORDS[b]);
            at += RECORDS[b];
        }
    }

    @Test
    void readsALooseBatchFileAsPlanarRgb() {
        ImageDataset d = CifarReader.readBatch(Fixtures.ROOT.resolve("cifar/data_batch_1.bin"), false);
        assertEquals(3, d.size());
        assertEquals(3, d.channels());
        assertEquals(32, d.height());
        assertEquals(32, d.width());
        assertBatch(d, 0, 1, 3);
        // float copy: channel planes one after the other, (C, H, W)
        float[] image = d.image(2);
        assertEquals(Fixtures.cifarPixel(1, 2, 2, 31, 0) / 255.0f, image[2 * 1024 + 31 * 32], 0.0f);
    }

    @Test
    void readsBothSplitsFromTheArchive() {
        Path dir = Fixtures.ROOT.resolve("cifar-archive");
        assertTrainSplit(CifarReader.read(dir, Split.TRAIN, false));
        ImageDataset test = CifarReader.read(dir, Split.TEST, false);
        assertEquals(2, test.size());
        assertBatch(test, 0, 6, 2);
    }

    @Test
    void readsAnUnpackedFolderAndTheFolderItself() {
        for (int b = 1; b <= 6; b++) {
            String name = b == 6 ? "test_batch.bin" : "data_batch_" + b + ".bin";
            Fixtures.write(tmp.resolve(CifarReader.FOLDER).resolve(name), Fixtures.cifarBatch(b, RECORDS[b]));
        }
        assertTrainSplit(CifarReader.read(tmp, Split.TRAIN, false));
        assertTrainSplit(CifarReader.read(tmp.resolve(CifarReader.FOLDER), Split.TRAIN, false));
        assertArrayEquals(CifarReader.read(tmp, Split.TEST, false).images(0, 2),
                CifarReader.read(Fixtures.ROOT.resolve("cifar-archive"), Split.TEST, false).images(0, 2));
    }

    @Test
    void missingBatchFilesAreListed() {
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> CifarReader.read(Fixtures.ROOT.resolve("cifar"), Split.TRAIN, false));
        assertEquals(List.of("data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"), e.missingFiles());
        assertMessage(e, "cifar10", "data_batch_5.bin");
    }

    @Test
    void emptyDirectoryAsksForTheArchive() {
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> CifarReader.read(tmp, Split.TEST, false));
        assertEquals(List.of(CifarReader.ARCHIVE), e.missingFiles());
        assertMessage(e, "cifar10", CifarReader.ARCHIVE, tmp.toAbsolutePath().toString());
    }

    @Test
    void strictSizesWantTenThousandRecords() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> CifarReader.readBatch(Fixtures.ROOT.resolve("cifar/test_batch.bin"), true));
        assertMessage(e, "test_batch.bin", "2 records", "10000");
        e = assertThrows(DataFormatException.class,
                () -> CifarReader.read(Fixtures.ROOT.resolve("cifar-archive"), Split.TEST, true));
        assertMessage(e, "cifar-10-binary.tar.gz (cifar-10-batches-bin/test_batch.bin)", "2 records");
    }

    @Test
    void lengthNotAMultipleOfTheRecordIsRejected() {
        byte[] batch = Fixtures.cifarBatch(1, 2);
        Path file = Fixtures.write(tmp.resolve("data_batch_1.bin"), Arrays.copyOf(batch, batch.length - 5));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.readBatch(file, false));
        assertMessage(e, "data_batch_1.bin", "length 6141 is not a multiple of the 3073-byte record", "1 records and 3068 bytes over");
    }

    @Test
    void emptyFileIsRejected() {
        Path file = Fixtures.write(tmp.resolve("test_batch.bin"), new byte[0]);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.readBatch(file, false));
        assertMessage(e, "test_batch.bin", "no records");
    }

    @Test
    void labelAboveNineIsRejectedWithItsRecord() {
        byte[] batch = Fixtures.cifarBatch(1, 3);
        batch[2 * CifarReader.RECORD_BYTES] = 10;
        Path file = Fixtures.write(tmp.resolve("data_batch_1.bin"), batch);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.readBatch(file, false));
        assertMessage(e, "data_batch_1.bin", "label 10 in record 2 outside 0..9");
    }

    private static byte[] tarGz(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
            for (Map.Entry<String, byte[]> m : members.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(m.getKey());
                entry.setSize(m.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(m.getValue());
                tar.closeArchiveEntry();
            }
        }
        return Fixtures.gzip(raw.toByteArray());
    }

    @Test
    void archiveWithoutTheSplitsFilesIsAFormatError() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("cifar-10-batches-bin/data_batch_1.bin", Fixtures.cifarBatch(1, 1));
        Path archive = Fixtures.write(tmp.resolve(CifarReader.ARCHIVE), tarGz(members));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.read(tmp, Split.TEST, false));
        assertMessage(e, CifarReader.ARCHIVE, "has no test_batch.bin");
        e = assertThrows(DataFormatException.class, () -> CifarReader.readArchive(archive, Split.TRAIN, false));
        assertMessage(e, CifarReader.ARCHIVE, "has no data_batch_2.bin, data_batch_3.bin");
    }

    @Test
    void badMemberInTheArchiveIsNamedWithTheArchive() throws IOException {
        byte[] bad = Fixtures.cifarBatch(6, 2);
        bad[CifarReader.RECORD_BYTES] = (byte) 200;
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("cifar-10-batches-bin/test_batch.bin", bad);
        Fixtures.write(tmp.resolve(CifarReader.ARCHIVE), tarGz(members));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.read(tmp, Split.TEST, false));
        assertMessage(e, "cifar-10-binary.tar.gz (cifar-10-batches-bin/test_batch.bin)", "label 200 in record 1");
    }

    @Test
    void truncatedArchiveIsAFormatError() {
        byte[] archive = Fixtures.read(Fixtures.ROOT.resolve("cifar-archive").resolve(CifarReader.ARCHIVE));
        Fixtures.write(tmp.resolve(CifarReader.ARCHIVE), Arrays.copyOf(archive, archive.length * 2 / 3));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.read(tmp, Split.TEST, false));
        assertMessage(e, CifarReader.ARCHIVE, "truncated");
    }

    /** A damaged byte in the wanted member decompresses to wrong pixels; only the gzip CRC at the end tells. */
    @Test
    void aCorruptCrcIsAFormatErrorEvenWhenTheWantedMemberComesFirst() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("cifar-10-batches-bin/test_batch.bin", Fixtures.cifarBatch(3, 2));
        members.put("cifar-10-batches-bin/readme.html", new byte[5000]);
        byte[] archive = tarGz(members);
        archive[archive.length - 8] ^= 0x55; // the CRC-32 of the gzip trailer
        Fixtures.write(tmp.resolve(CifarReader.ARCHIVE), archive);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CifarReader.read(tmp, Split.TEST, false));
        assertMessage(e, CifarReader.ARCHIVE, "corrupt");
    }

    @Test
    void plainTarUnderTheArchiveNameIsReadToo() throws IOException {
        // someone gunzipped the archive but kept its name: the content decides
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("cifar-10-batches-bin/test_batch.bin", Fixtures.cifarBatch(6, 2));
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
            TarArchiveEntry entry = new TarArchiveEntry("cifar-10-batches-bin/test_batch.bin");
            entry.setSize(2 * CifarReader.RECORD_BYTES);
            tar.putArchiveEntry(entry);
            tar.write(members.get("cifar-10-batches-bin/test_batch.bin"));
            tar.closeArchiveEntry();
        }
        Fixtures.write(tmp.resolve(CifarReader.ARCHIVE), raw.toByteArray());
        assertBatch(CifarReader.read(tmp, Split.TEST, false), 0, 6, 2);
    }
}

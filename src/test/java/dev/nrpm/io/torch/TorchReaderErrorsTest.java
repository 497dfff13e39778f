package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.Fixtures;
import static dev.nrpm.io.Fixtures.assertCheckpointError;
import static dev.nrpm.io.Fixtures.floatsLE;
import static dev.nrpm.io.Fixtures.torch;
import static dev.nrpm.io.Fixtures.tensorPickle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken files: each is refused with a one-line CheckpointException naming the file and the fault. */
class TorchReaderErrorsTest {
    @TempDir
    Path dir;

    @Test
    void missingFileAndNonCheckpoints() throws IOException {
        Path missing = dir.resolve("nope.pth");
        assertCheckpointError(missing, () -> TorchReader.read(missing), "no such file");
        Path text = Files.writeString(dir.resolve("notes.pth"), "hello");
        assertCheckpointError(text, () -> TorchReader.read(text), "not a PyTorch checkpoint");
        Path empty = Files.write(dir.resolve("empty.pth"), new byte[0]);
        assertCheckpointError(empty, () -> TorchReader.read(empty), "not a PyTorch checkpoint");
    }

    @Test
    void badAndTruncatedZip() throws IOException {
        Path bad = Files.write(dir.resolve("bad.pth"), "PK\u0003\u0004garbage".getBytes(StandardCharsets.ISO_8859_1));
        assertCheckpointError(bad, () -> TorchReader.read(bad), "not a valid zip archive");
        byte[] whole = Files.readAllBytes(torch("zip_mlp.pth"));
        Path cut = Files.write(dir.resolve("cut.pth"), Arrays.copyOf(whole, whole.length * 2 / 3));
        assertCheckpointError(cut, () -> TorchReader.read(cut), "not a valid zip archive");
    }

    @Test
    void entryCommentThatIsNotUtf8() throws IOException {
        // ZipFile checks entry names when it opens the file but decodes an entry's comment only
        // when the entry is listed, and answers bad bytes there with an IllegalArgumentException
        Map<String, byte[]> entries = Fixtures.entries(torch("zip_mlp.pth"));
        Path file = dir.resolve("comment.pth");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setComment("MARK");
                zos.putNextEntry(entry);
                zos.write(e.getValue());
                zos.closeEntry();
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        byte[] mark = "MARK".getBytes(StandardCharsets.US_ASCII);
        int damaged = 0;
        for (int i = 0; i + mark.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + mark.length, mark, 0, mark.length)) {
                bytes[i] = (byte) 0xff;             // a lone 0xff is never valid UTF-8
                damaged++;
            }
        }
        if (damaged != entries.size()) {
            throw new AssertionError("expected one comment per entry, found " + damaged);
        }
        Files.write(file, bytes);
        assertCheckpointError(file, () -> TorchReader.read(file), "not valid UTF-8");
    }

    @Test
    void zipWithoutDataPkl() throws IOException {
        Path file = Fixtures.writeZip(dir.resolve("other.pth"), Map.of("stuff/readme.txt", new byte[] {1}));
        assertCheckpointError(file, () -> TorchReader.read(file), "without a <folder>/data.pkl record",
                "stuff/readme.txt");
    }

    @Test
    void missingStorageEntry() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(torch("zip_mlp.pth"));
        entries.remove("ckpt_epoch3/data/3");
        Path file = Fixtures.writeZip(dir.resolve("missing.pth"), entries);
        assertCheckpointError(file, () -> TorchReader.read(file), "missing storage entry 'ckpt_epoch3/data/3'",
                "storage '3' (FloatStorage, 12 elements)");
    }

    @Test
    void storageEntryOfTheWrongSize() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(torch("zip_mlp.pth"));
        entries.put("ckpt_epoch3/data/0", new byte[8]);
        Path file = Fixtures.writeZip(dir.resolve("short.pth"), entries);
        assertCheckpointError(file, () -> TorchReader.read(file), "storage entry 'ckpt_epoch3/data/0' has 8 bytes",
                "needs 96");
    }

    @Test
    void storageTooShortForTheTensorView() throws IOException {
        // a (2, 3) view needs 6 elements; the storage declares and holds 4
        String pickle = "(dp0\nS'w'\n" + tensorPickle("0", 4, 0, new int[] {2, 3}, new int[] {3, 1}) + "s.";
        Path file = Fixtures.torchZip(dir.resolve("view.pth"), pickle, Map.of("0", floatsLE(1, 2, 3, 4)));
        assertCheckpointError(file, () -> TorchReader.read(file), "tensor at 'w'", "too short", "needs 6 elements, has 4");
        // offset pushes the last element past the end
        String shifted = "(dp0\nS'w'\n" + tensorPickle("0", 4, 2, new int[] {3}, new int[] {1}) + "s.";
        Path file2 = Fixtures.torchZip(dir.resolve("view2.pth"), shifted, Map.of("0", floatsLE(1, 2, 3, 4)));
        assertCheckpointError(file2, () -> TorchReader.read(file2), "needs 5 elements, has 4");
    }

    @Test
    void storageLargerThanAJavaArrayIsRefusedBeforeReading() throws IOException {
        String pickle = "(dp0\nS'w'\n" + tensorPickle("0", 4, 0, new int[] {1}, new int[] {1})
                .replace("I4\ntQ", "I1099511627776\ntQ") + "s.";
        Path file = Fixtures.torchZip(dir.resolve("huge.pth"), pickle, Map.of("0", floatsLE(1)));
        assertCheckpointError(file, () -> TorchReader.read(file), "storage '0' of 1099511627776 elements",
                "more bytes than one Java array holds");
    }

    @Test
    void tensorMetadataIsRefusedUnlessEmpty() throws IOException {
        String plain = tensorPickle("0", 1, 0, new int[] {1}, new int[] {1});
        // a 7th argument: None and {} are harmless, a flag that changes the values is not
        String none = "(dp0\nS'w'\n" + plain.replace("I00\n(dtR", "I00\n(dNtR") + "s.";
        Path ok = Fixtures.torchZip(dir.resolve("md-none.pth"), none, Map.of("0", floatsLE(2)));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {2},
                TorchReader.read(ok).stateDict().get("w").toFloatArray());
        String neg = "(dp0\nS'w'\n" + plain.replace("I00\n(dtR", "I00\n(d(dS'neg_bit'\nI01\nstR") + "s.";
        Path file = Fixtures.torchZip(dir.resolve("md-neg.pth"), neg, Map.of("0", floatsLE(2)));
        assertCheckpointError(file, () -> TorchReader.read(file), "_rebuild_tensor_v2 with tensor metadata [neg_bit]"
                + " is not supported");
    }

    @Test
    void unknownByteOrder() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(torch("zip_mlp.pth"));
        entries.put("ckpt_epoch3/byteorder", "middle".getBytes(StandardCharsets.US_ASCII));
        Path file = Fixtures.writeZip(dir.resolve("order.pth"), entries);
        assertCheckpointError(file, () -> TorchReader.read(file), "unknown byte order 'middle'");
    }

    @Test
    void truncatedPickle() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(torch("zip_mlp.pth"));
        byte[] pkl = entries.get("ckpt_epoch3/data.pkl");
        entries.put("ckpt_epoch3/data.pkl", Arrays.copyOf(pkl, pkl.length / 2));
        Path file = Fixtures.writeZip(dir.resolve("halfpkl.pth"), entries);
        assertCheckpointError(file, () -> TorchReader.read(file), "bad pickle in ckpt_epoch3/data.pkl", "truncated");
    }

    @Test
    void hostileLengthPrefixIsCheckedBeforeAllocating() throws IOException {
        // BINUNICODE claiming 2 GiB in a 10-byte pickle
        Path file = Fixtures.torchZip(dir.resolve("len.pth"), "\u0080\u0002X\u00ff\u00ff\u00ff\u007fab.", Map.of());
        assertCheckpointError(file, () -> TorchReader.read(file), "truncated (a length prefix claims 2147483647 bytes");
    }

    @Test
    void malformedPicklesGetReadableMessages() throws IOException {
        Path underflow = Fixtures.torchZip(dir.resolve("underflow.pth"), "a.", Map.of());
        assertCheckpointError(underflow, () -> TorchReader.read(underflow), "bad pickle in archive/data.pkl at byte 0",
                "stack underflow");
        Path kind = Fixtures.torchZip(dir.resolve("kind.pth"), "S'x'\nI1\na.", Map.of());
        assertCheckpointError(kind, () -> TorchReader.read(kind), "at byte 8", "wrong kind of object on the stack");
        Path opcode = Fixtures.torchZip(dir.resolve("opcode.pth"), "\u00fe.", Map.of());
        assertCheckpointError(opcode, () -> TorchReader.read(opcode), "invalid pickle opcode: 254");
    }

    @Test
    void deepNestingIsRefused() throws IOException {
        Path file = Fixtures.torchZip(dir.resolve("deep.pth"), "(".repeat(2000) + "l".repeat(2000) + ".", Map.of());
        assertCheckpointError(file, () -> TorchReader.read(file), "nested deeper than");
    }

    @Test
    void truncatedLegacyFile() throws IOException {
        byte[] whole = Files.readAllBytes(torch("legacy_lenet.pth"));
        Path tail = Files.write(dir.resolve("tail.pth"), Arrays.copyOf(whole, whole.length - 10));
        assertCheckpointError(tail, () -> TorchReader.read(tail), "truncated", "storage '140003'");
        Path mid = Files.write(dir.resolve("mid.pth"), Arrays.copyOf(whole, 200));
        assertCheckpointError(mid, () -> TorchReader.read(mid), "bad pickle in legacy record 4 (the object)", "truncated");
    }

    @Test
    void legacyWithoutTorchMagic() throws IOException {
        // pickle.dumps(12345, protocol=2)
        Path file = Files.write(dir.resolve("magic.pth"), new byte[] {(byte) 0x80, 2, 'M', 0x39, 0x30, '.'});
        assertCheckpointError(file, () -> TorchReader.read(file), "without torch's magic number");
    }

    @Test
    void noStateDictOrAnAmbiguousOne() throws IOException {
        Path dtypes = torch("zip_dtypes.pth");
        TorchCheckpoint ck = TorchReader.read(dtypes);
        assertCheckpointError(dtypes, ck::stateDict, "no state dict", "keys [f64, i64,");

        String sd = "(dp1\nS'w'\n" + tensorPickle("0", 1, 0, new int[] {1}, new int[] {1}) + "s";
        String pickle = "(dp0\nS'net'\n" + sd + "sS'model'\n" + sd.replace("dp1", "dp2") + "s.";
        Path two = Fixtures.torchZip(dir.resolve("two.pth"), pickle, Map.of("0", floatsLE(1)));
        assertCheckpointError(two, () -> TorchReader.read(two).stateDict(), "ambiguous state dict", "[net, model]");

        Path list = Fixtures.torchZip(dir.resolve("list.pth"), "(lp0\nI1\na.", Map.of());
        assertCheckpointError(list, () -> TorchReader.read(list).stateDict(), "top-level object is a ArrayList");
    }
}

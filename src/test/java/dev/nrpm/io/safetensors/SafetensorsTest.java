package dev.nrpm.io.safetensors;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.TensorData;
import dev.nrpm.io.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors layer: byte layout, round trips, atomic replacement, and every validation. */
class SafetensorsTest {
    @TempDir
    Path dir;

    private static Map<String, HostTensor> allDtypes() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("f32", HostTensor.ofFloats(new float[] {1.5f, -2f, 0.1f, 3e38f, Float.MIN_VALUE, -0f}, 2, 3));
        t.put("f64", HostTensor.ofDoubles(new double[] {0.1, -1e300}, 2));
        t.put("f16", HostTensor.ofDoubles(DType.FLOAT16, new double[] {1.5, -2, 65504}, 3));
        t.put("bf16", HostTensor.ofDoubles(DType.BFLOAT16, new double[] {1, -3}, 2, 1));
        t.put("i64", HostTensor.ofLongs(new long[] {Long.MIN_VALUE, 7}, 2));
        t.put("i32", HostTensor.fromLittleEndian(DType.INT32, new int[] {1}, new byte[] {1, 0, 0, (byte) 0x80}));
        t.put("i16", HostTensor.fromLittleEndian(DType.INT16, new int[] {1}, new byte[] {(byte) 0xff, (byte) 0xff}));
        t.put("i8", HostTensor.fromLittleEndian(DType.INT8, new int[] {2}, new byte[] {-5, 5}));
        t.put("u8", HostTensor.fromLittleEndian(DType.UINT8, new int[] {2}, new byte[] {(byte) 200, 1}));
        t.put("bool", HostTensor.fromLittleEndian(DType.BOOL, new int[] {2}, new byte[] {1, 0}));
        t.put("scalar", HostTensor.ofFloats(new float[] {4f}));
        t.put("empty", HostTensor.ofFloats(new float[0], 0, 3));
        return t;
    }

    @Test
    void roundTripKeepsEveryDtypeBitForBitAndTheOrder() {
        Path f = dir.resolve("all.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("note", "ünïcode \"quoted\"\nline");
        meta.put("b", "2");
        SafetensorsWriter.write(f, meta, allDtypes());
        SafetensorsContent c = SafetensorsReader.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(List.copyOf(allDtypes().keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals(allDtypes(), c.tensors());
        assertArrayEquals(new long[] {Integer.MIN_VALUE + 1L}, c.tensors().get("i32").toLongArray());
        assertArrayEquals(new long[] {200, 1}, c.tensors().get("u8").toLongArray());
        assertEveryEntryAligned(f);
    }

    /** Each tensor's data starts at a multiple of its element size, from the file's start. */
    private static void assertEveryEntryAligned(Path f) {
        try {
            byte[] b = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            com.google.gson.JsonObject h = com.google.gson.JsonParser.parseString(
                    new String(b, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
            for (String name : h.keySet()) {
                if (name.equals("__metadata__")) {
                    continue;
                }
                long begin = h.getAsJsonObject(name).getAsJsonArray("data_offsets").get(0).getAsLong();
                int size = DType.fromSafetensors(h.getAsJsonObject(name).get("dtype").getAsString()).byteSize();
                assertEquals(0, (8 + n + begin) % size, name + " is not aligned");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void byteLayoutIsTheSafetensorsOne() throws IOException {
        Path f = dir.resolve("layout.safetensors");
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("a", HostTensor.ofFloats(new float[] {1f, 2f}, 2));
        t.put("b", HostTensor.ofLongs(new long[] {3}, 1));
        SafetensorsWriter.write(f, Map.of("k", "v"), t);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        // header in the caller's order, data by element size (largest first) so each tensor is aligned
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(ch -> ch == ' '));
        assertEquals(8 + n + 16, bytes.length);
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n), 16).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3L, data.getLong());
        assertEquals(1f, data.getFloat());
        assertEquals(2f, data.getFloat());
    }

    @Test
    void readsAFileWrittenByHandNotByOurWriter() throws IOException {
        // as the Python reference writes it: entries sorted by name, a space-padded header
        String header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                + "\"n\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(new byte[] {42, 0, 0, 0});
        data.write(new byte[] {0x00, 0x3c, 0x00, (byte) 0xc1});     // 1.0, -2.5 in float16
        Path f = raw("hand.safetensors", header + "  ", data.toByteArray());
        SafetensorsContent c = SafetensorsReader.read(f);
        assertArrayEquals(new float[] {1.0f, -2.5f}, c.tensors().get("w").toFloatArray());
        assertArrayEquals(new int[0], c.tensors().get("n").shape());
        assertArrayEquals(new long[] {42}, c.tensors().get("n").toLongArray());
        assertTrue(c.metadata().isEmpty());
    }

    @Test
    void aFailureMidWriteLeavesThePreviousFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        SafetensorsWriter.write(f, Map.of("version", "old"), allDtypes());
        byte[] before = Files.readAllBytes(f);

        Map<String, TensorData> failing = new LinkedHashMap<>(allDtypes());
        failing.put("z_broken", new TensorData() {
            @Override
            public DType dtype() {
                return DType.FLOAT32;
            }

            @Override
            public int[] shape() {
                return new int[] {1000};
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(new byte[1000]);                 // part of its bytes reach the file, then
                throw new IOException("disk full (simulated)");
            }
        });
        failing.put("zz_after", HostTensor.ofFloats(new float[] {1f}, 1));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> SafetensorsWriter.write(f, Map.of("version", "new"), failing));
        assertTrue(e.getMessage().startsWith(f + ": cannot write (disk full (simulated))"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f), "the previous checkpoint changed");
        assertEquals("old", SafetensorsReader.read(f).metadata().get("version"));
        assertNoTemporaryFiles();

        // an unchecked failure in a tensor (a bug, a closed buffer) is rolled back the same way
        failing.put("z_broken", new FixedShape(DType.FLOAT32, 1) {
            @Override
            public void writeTo(OutputStream out) {
                throw new IllegalStateException("buffer already closed");
            }
        });
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(f, Map.of(), failing));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertNoTemporaryFiles();
    }

    @Test
    void aTensorThatWritesTheWrongByteCountIsRefused() throws IOException {
        Path f = dir.resolve("count.safetensors");
        Map<String, TensorData> t = new LinkedHashMap<>();
        t.put("short", new FixedShape(DType.FLOAT32, 2) {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(new byte[4]);
            }
        });
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsWriter.write(f, Map.of(), t));
        assertTrue(e.getMessage().contains("entry 'short' wrote 4 bytes, its dtype and shape need 8"), e.getMessage());
        assertFalse(Files.exists(f));
        assertNoTemporaryFiles();
    }

    @Test
    void writerRefusesReservedAndEmptyNames() {
        Path f = dir.resolve("names.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsWriter.write(f, Map.of(),
                Map.of("__metadata__", HostTensor.ofFloats(new float[] {1}, 1))));
        assertTrue(e.getMessage().contains("invalid entry name '__metadata__'"), e.getMessage());
        assertThrows(CheckpointException.class, () -> SafetensorsWriter.write(f, Map.of(),
                Map.of("", HostTensor.ofFloats(new float[] {1}, 1))));
    }

    @Test
    void headerValidation() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] eight = new byte[8];
        bad(raw("short", new byte[5]), "too short for a safetensors header (5 bytes)");
        bad(rawWithLength("huge", 1L << 40, ok, eight), "header length 1099511627776 does not fit a file of");
        bad(rawWithLength("past", 500, ok, eight), "header length 500 does not fit a file of");
        bad(raw("nobrace", "[1, 2]", eight), "header does not start with '{'");
        bad(raw("json", "{\"a\": {\"dtype\": F32}}", eight), "header is not valid JSON");
        bad(raw("trail", ok + "x", eight), "header is not valid JSON (malformed at line 1 column 56)");
        bad(rawBytes("invalid-utf8", concat("{\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xc3, 0x28},
                "\":1}".getBytes(StandardCharsets.UTF_8)), eight), "header is not valid UTF-8");
        bad(raw("dup", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight), "entry 'a': appears twice");
        bad(raw("unknown", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", eight),
                "entry 'a': unknown field 'x'");
        bad(raw("missing", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight), "entry 'a': needs dtype, shape and data_offsets");
        bad(raw("dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", eight),
                "entry 'a': unsupported dtype 'F8_E4M3'");
        bad(raw("neg", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight),
                "entry 'a': shape holds the negative value -2");
        bad(raw("frac", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", eight),
                "entry 'a': shape holds '2.5', not a non-negative integer");
        bad(raw("meta", "{\"__metadata__\":{\"k\":1}," + ok.substring(1), eight),
                "entry '__metadata__': value of 'k' is not a string");
    }

    @Test
    void sizeAndLayoutValidation() throws IOException {
        byte[] eight = new byte[8];
        bad(raw("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight),
                "entry 'a': shape [3] of F32 needs 12 bytes, data_offsets [0, 8] give 8");
        bad(raw("order", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight),
                "entry 'a': data_offsets should be [begin, end] with begin <= end");
        bad(raw("past", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", eight),
                "entry 'a': data_offsets [0, 16] reach past the 8 data bytes of the file (truncated?)");
        bad(raw("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight), "entry 'b': overlaps entry 'a'");
        bad(raw("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight),
                "entry 'a': leaves 4 unused bytes before it");
        bad(raw("tail", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight),
                "4 bytes after the last entry");
        // a real file cut short
        Path whole = dir.resolve("whole.safetensors");
        SafetensorsWriter.write(whole, Map.of(), allDtypes());
        byte[] b = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(b, b.length - 3));
        bad(cut, "reach past the", "(truncated?)");
    }

    @Test
    void missingFile() {
        bad(dir.resolve("absent.safetensors"), "no such file");
    }

    // ------------------------------------------------------------------ helpers

    /** A TensorData with a fixed dtype and shape whose bytes the test decides. */
    private abstract static class FixedShape implements TensorData {
        private final DType dtype;
        private final int[] shape;

        FixedShape(DType dtype, int... shape) {
            this.dtype = dtype;
            this.shape = shape;
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    private void assertNoTemporaryFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> tmp = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertTrue(tmp.isEmpty(), "temporary files left: " + tmp);
        }
    }

    private static void bad(Path f, String... fragments) {
        Fixtures.assertCheckpointError(f, () -> SafetensorsReader.read(f), fragments);
    }

    private Path raw(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path raw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return rawWithLength(name, h.length, h, data);
    }

    private Path rawBytes(String name, byte[] header, byte[] data) throws IOException {
        return rawWithLength(name, header.length, header, data);
    }

    private Path rawWithLength(String name, long length, String header, byte[] data) throws IOException {
        return rawWithLength(name, length, header.getBytes(StandardCharsets.UTF_8), data);
    }

    private Path rawWithLength(String name, long length, byte[] header, byte[] data) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
        return Files.write(dir.resolve(name), concat(len.array(), header, data));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

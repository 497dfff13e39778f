package dev.nrpm.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;

/** Where the fixtures are, the value formula they share with gen_torch_fixtures.py, and zip surgery. */
public final class Fixtures {
    private Fixtures() {
    }

    /** A fixture written by test-data/gen_torch_fixtures.py (paths relative to the project root). */
    public static Path torch(String name) {
        Path p = Paths.get("test-data", "torch", name);
        assertTrue(Files.isRegularFile(p), "missing fixture " + p + ": run python3 test-data/gen_torch_fixtures.py");
        return p;
    }

    /** A real published checkpoint in ../shared/models; the test is skipped when it is not there. */
    public static Path realModel(String name) {
        Path p = Paths.get("..", "shared", "models", name);
        Assumptions.assumeTrue(Files.isRegularFile(p), () -> "real checkpoint " + p.toAbsolutePath().normalize()
                + " not present: skipping");
        return p;
    }

    /** value(i, salt) of the generator: multiples of 1/64, exact in float32. */
    public static float value(int i, int salt) {
        return (float) (((i * 37 + salt * 11) % 101 - 50) / 64.0);
    }

    public static float[] values(int n, int salt) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = value(i, salt);
        }
        return v;
    }

    /** All entries of a zip, in order. */
    public static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements();) {
                ZipEntry e = en.nextElement();
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        }
        return out;
    }

    /** Writes a zip with these entries (deflated: the reader must not care how entries are stored). */
    public static Path writeZip(Path target, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(target); ZipOutputStream zos = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zos.putNextEntry(new ZipEntry(e.getKey()));
                zos.write(e.getValue());
                zos.closeEntry();
            }
        }
        return target;
    }

    /** A torch zip whose data.pkl is the given pickle (protocol 0 text, latin-1) plus storage entries. */
    public static Path torchZip(Path target, String pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("archive/data.pkl", pickle.getBytes(StandardCharsets.ISO_8859_1));
        e.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, byte[]> s : storages.entrySet()) {
            e.put("archive/data/" + s.getKey(), s.getValue());
        }
        return writeZip(target, e);
    }

    /** Protocol-0 text of a float tensor via _rebuild_tensor_v2 on FloatStorage key with numel elements. */
    public static String tensorPickle(String key, int numel, int offset, int[] size, int[] stride) {
        return "ctorch._utils\n_rebuild_tensor_v2\n("
                + "(S'storage'\nctorch\nFloatStorage\nS'" + key + "'\nS'cpu'\nI" + numel + "\ntQ"
                + "I" + offset + "\n" + tuple(size) + tuple(stride) + "I00\n(dtR";
    }

    public static String tuple(int[] v) {
        StringBuilder b = new StringBuilder("(");
        for (int x : v) {
            b.append('I').append(x).append('\n');
        }
        return b.append('t').toString();
    }

    public static byte[] floatsLE(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    /** Asserts a CheckpointException whose one-line message names the file and contains every fragment. */
    public static CheckpointException assertCheckpointError(Path file, org.junit.jupiter.api.function.Executable body,
                                                     String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, body);
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), "message should start with the file: " + m);
        assertTrue(!m.contains("\n"), "message should be one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
        return e;
    }

}

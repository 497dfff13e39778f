package dev.nrpm.io.safetensors;

import dev.nrpm.io.AtomicFile;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.TensorData;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the safetensors layout (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON header
 * {"__metadata__": {string: string}, "&lt;name&gt;": {"dtype", "shape", "data_offsets": [begin, end]}},
 * padded with spaces to a multiple of 8, then the tensors' little-endian bytes back to back. The
 * header lists entries in the caller's order; the data is laid out by element size, largest first
 * (as the reference writer does), so every tensor starts at a multiple of its element size and can
 * be viewed in place from a memory-mapped file. The file is replaced atomically ({@link AtomicFile}).
 */
public final class SafetensorsWriter {
    static final String METADATA_KEY = "__metadata__";

    private SafetensorsWriter() {
    }

    /**
     * @param metadata string pairs for "__metadata__" (omitted when empty)
     * @param tensors  entries in the order they are to be stored
     * @throws CheckpointException naming the file: a bad entry name, a tensor that wrote a different
     *         number of bytes than it declared, an I/O failure. The previous file is left intact.
     */
    public static void write(Path file, Map<String, String> metadata, Map<String, ? extends TensorData> tensors) {
        List<Map.Entry<String, ? extends TensorData>> dataOrder = new ArrayList<>(tensors.entrySet());
        dataOrder.sort(Comparator.comparingInt(e -> -e.getValue().dtype().byteSize()));   // stable
        Map<String, Long> offsets = new HashMap<>();
        long offset = 0;
        for (Map.Entry<String, ? extends TensorData> e : dataOrder) {
            offsets.put(e.getKey(), offset);
            offset += e.getValue().byteSize();
        }
        byte[] header = header(file, metadata, tensors, offsets);
        AtomicFile.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            out.write(len.array());
            out.write(header);
            for (Map.Entry<String, ? extends TensorData> e : dataOrder) {
                CountingStream counted = new CountingStream(out);
                e.getValue().writeTo(counted);
                long expected = e.getValue().byteSize();
                if (counted.count != expected) {
                    throw new CheckpointException(file, "entry " + CheckpointException.quote(e.getKey()) + " wrote "
                            + counted.count + " bytes, its dtype and shape need " + expected);
                }
            }
        });
    }

    private static byte[] header(Path file, Map<String, String> metadata, Map<String, ? extends TensorData> tensors,
                                 Map<String, Long> offsets) {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            if (!metadata.isEmpty()) {
                json.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    if (m.getKey() == null || m.getValue() == null) {
                        throw new CheckpointException(file, "metadata with a null key or value");
                    }
                    json.name(m.getKey()).value(m.getValue());
                }
                json.endObject();
            }
            for (Map.Entry<String, ? extends TensorData> e : tensors.entrySet()) {
                String name = e.getKey();
                if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                    throw new CheckpointException(file, "invalid entry name " + CheckpointException.quote(name));
                }
                TensorData t = e.getValue();
                long size = t.byteSize();
                json.name(name).beginObject();
                json.name("dtype").value(t.dtype().safetensorsCode());
                json.name("shape").beginArray();
                for (int d : t.shape()) {
                    json.value(d);
                }
                json.endArray();
                long begin = offsets.get(name);
                json.name("data_offsets").beginArray().value(begin).value(begin + size).endArray();
                json.endObject();
            }
            json.endObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string", e);
        }
        byte[] raw = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(raw, 0, out, 0, raw.length);
        java.util.Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    /** Counts what a tensor writes, so a wrong byte count cannot silently shift every later entry. */
    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            // the file stream belongs to the writer
        }
    }
}

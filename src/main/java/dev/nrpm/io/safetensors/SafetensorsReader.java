package dev.nrpm.io.safetensors;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and validates a safetensors file (layout in {@link SafetensorsWriter}). Checked, each with
 * a one-line {@link CheckpointException} naming the file and the entry: the header length against
 * the file size, the header as strict UTF-8 JSON with no duplicate names or unknown fields,
 * every dtype, that each entry's byte range matches its dtype and shape, and that the ranges
 * tile the data section exactly (no overlap, no gap, nothing after the last entry), as the
 * reference implementation requires.
 */
public final class SafetensorsReader {
    /** The reference implementation's limit; a real header is kilobytes. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    private SafetensorsReader() {
    }

    /** An entry as the header describes it. */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    }

    /** An entry as a {@link HeaderCheck} sees it: what reading it would give, and its size. */
    public record TensorHeader(DType dtype, int[] shape, long bytes) {
    }

    /**
     * Checks a file from its header alone, before any tensor data is read: a loader that knows its
     * model refuses a file of another model here, however large, without reading it.
     */
    @FunctionalInterface
    public interface HeaderCheck {
        /** Throws (a CheckpointException naming the file) to refuse; entries in file order. */
        void check(Map<String, String> metadata, Map<String, TensorHeader> entries);
    }

    public static SafetensorsContent read(Path file) {
        return read(file, (metadata, entries) -> { });
    }

    /** As {@link #read(Path)}, with beforeData run once the header is validated, before any data is read. */
    public static SafetensorsContent read(Path file, HeaderCheck beforeData) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file, "too short for a safetensors header (" + size + " bytes)");
            }
            long n = readFully(ch, 0, 8, file).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
                throw new CheckpointException(file, "header length " + Long.toUnsignedString(n)
                        + " does not fit a file of " + size + " bytes: not a safetensors file, or truncated");
            }
            String json = utf8(readFully(ch, 8, (int) n, file), file);
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = parseHeader(json, metadata, file);
            long dataStart = 8 + n;
            checkLayout(entries, size - dataStart, file);
            Map<String, TensorHeader> headers = new LinkedHashMap<>();
            for (Entry e : entries) {
                headers.put(e.name, new TensorHeader(e.dtype, e.shape.clone(), e.end - e.begin));
            }
            beforeData.check(java.util.Collections.unmodifiableMap(metadata), java.util.Collections.unmodifiableMap(headers));
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer b = readFully(ch, dataStart + e.begin, (int) (e.end - e.begin), file);
                tensors.put(e.name, HostTensor.wrap(e.dtype, e.shape, b.array()));
            }
            return new SafetensorsContent(file, metadata, tensors);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "no such file", e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read (" + dev.nrpm.error.IoErrors.describe(e) + ")", e);
        }
    }

    // ------------------------------------------------------------------ header

    private static List<Entry> parseHeader(String json, Map<String, String> metadata, Path file) throws IOException {
        if (!json.startsWith("{")) {
            throw new CheckpointException(file, "header does not start with '{': not a safetensors file");
        }
        List<Entry> entries = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        try {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (!names.add(name)) {
                    throw bad(file, name, "appears twice in the header");
                }
                if (name.equals(SafetensorsWriter.METADATA_KEY)) {
                    readMetadata(r, metadata, file);
                } else {
                    entries.add(readEntry(r, name, file));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointException(file, "header has content after its JSON object");
            }
        } catch (com.google.gson.stream.MalformedJsonException | IllegalStateException | NumberFormatException e) {
            throw new CheckpointException(file, "header is not valid JSON (" + jsonError(e) + ")", e);
        } catch (java.io.EOFException e) {
            throw new CheckpointException(file, "header JSON ends early", e);
        }
        return entries;
    }

    private static void readMetadata(JsonReader r, Map<String, String> metadata, Path file) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw bad(file, SafetensorsWriter.METADATA_KEY, "should be an object of strings");
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw bad(file, SafetensorsWriter.METADATA_KEY, "value of " + CheckpointException.quote(key)
                        + " is not a string");
            }
            if (metadata.put(key, r.nextString()) != null) {
                throw bad(file, SafetensorsWriter.METADATA_KEY, "key " + CheckpointException.quote(key) + " appears twice");
            }
        }
        r.endObject();
    }

    private static Entry readEntry(JsonReader r, String name, Path file) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw bad(file, name, "should be an object with dtype, shape and data_offsets");
        }
        String dtypeCode = null;
        List<Long> shape = null;
        List<Long> offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype":
                    if (dtypeCode != null || r.peek() != JsonToken.STRING) {
                        throw bad(file, name, "dtype should be one string");
                    }
                    dtypeCode = r.nextString();
                    break;
                case "shape":
                    if (shape != null) {
                        throw bad(file, name, "shape given twice");
                    }
                    shape = integers(r, name, "shape", file);
                    break;
                case "data_offsets":
                    if (offsets != null) {
                        throw bad(file, name, "data_offsets given twice");
                    }
                    offsets = integers(r, name, "data_offsets", file);
                    break;
                default:
                    throw bad(file, name, "unknown field " + CheckpointException.quote(field));
            }
        }
        r.endObject();
        if (dtypeCode == null || shape == null || offsets == null) {
            throw bad(file, name, "needs dtype, shape and data_offsets");
        }
        DType dtype = DType.fromSafetensors(dtypeCode);
        if (dtype == null) {
            throw bad(file, name, "unsupported dtype " + CheckpointException.quote(dtypeCode));
        }
        if (offsets.size() != 2 || offsets.get(0) > offsets.get(1)) {
            throw bad(file, name, "data_offsets should be [begin, end] with begin <= end, got " + offsets);
        }
        int[] dims = new int[shape.size()];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = shape.get(i);
            if (d > Integer.MAX_VALUE) {
                throw bad(file, name, "dimension " + d + " is too large");
            }
            dims[i] = (int) d;
            numel = Math.min(numel * d, Integer.MAX_VALUE);     // both factors are below 2^31: no overflow
            if (numel > Integer.MAX_VALUE - 8) {
                throw bad(file, name, "shape " + shape + " has too many elements for one Java array");
            }
        }
        long bytes = numel * dtype.byteSize();
        if (offsets.get(1) - offsets.get(0) != bytes) {
            throw bad(file, name, "shape " + shape + " of " + dtypeCode + " needs " + bytes + " bytes, data_offsets "
                    + offsets + " give " + (offsets.get(1) - offsets.get(0)));
        }
        return new Entry(name, dtype, dims, offsets.get(0), offsets.get(1));
    }

    private static List<Long> integers(JsonReader r, String name, String field, Path file) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw bad(file, name, field + " should be an array of integers");
        }
        List<Long> out = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) {
                throw bad(file, name, field + " should be an array of integers");
            }
            String text = r.nextString();
            long v;
            try {
                v = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw bad(file, name, field + " holds " + CheckpointException.quote(text) + ", not a non-negative integer");
            }
            if (v < 0) {
                throw bad(file, name, field + " holds the negative value " + v);
            }
            out.add(v);
        }
        r.endArray();
        return out;
    }

    // ------------------------------------------------------------------ layout

    /** The entries' byte ranges must tile [0, dataBytes) exactly. */
    private static void checkLayout(List<Entry> entries, long dataBytes, Path file) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.end > dataBytes) {
                throw bad(file, e.name, "data_offsets [" + e.begin + ", " + e.end + "] reach past the " + dataBytes
                        + " data bytes of the file (truncated?)");
            }
            if (e.begin < at) {
                throw bad(file, e.name, "overlaps entry " + CheckpointException.quote(previous.name));
            }
            if (e.begin > at) {
                throw bad(file, e.name, "leaves " + (e.begin - at) + " unused bytes before it");
            }
            at = e.end;
            previous = e;
        }
        if (at != dataBytes) {
            throw new CheckpointException(file, (dataBytes - at) + " bytes after the last entry");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static ByteBuffer readFully(FileChannel ch, long position, int length, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int n = ch.read(b, position + b.position());
            if (n < 0) {
                throw new CheckpointException(file, "truncated at byte " + (position + b.position()));
            }
        }
        b.flip();
        return b;
    }

    private static String utf8(ByteBuffer bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "header is not valid UTF-8");
        }
    }

    /** Gson's messages suggest lenient parsing and carry a URL; keep only where the JSON broke. */
    public static String jsonError(Exception e) {
        String m = String.valueOf(e.getMessage());
        java.util.regex.Matcher at = java.util.regex.Pattern.compile("line \\d+ column \\d+").matcher(m);
        if (m.startsWith("Use JsonReader.setStrictness") && at.find()) {
            return "malformed at " + at.group();
        }
        int see = m.indexOf(" See https://");
        return see >= 0 ? m.substring(0, see) : m;
    }

    private static CheckpointException bad(Path file, String entry, String detail) {
        return new CheckpointException(file, "entry " + CheckpointException.quote(entry) + ": " + detail);
    }
}

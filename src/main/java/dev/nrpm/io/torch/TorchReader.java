package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch checkpoints (.pth, .pt, .t7) without PyTorch and without running anything from
 * the file: the pickle is read by {@link TorchUnpickler}, which admits only the globals of
 * {@link TorchGlobals}.
 *
 * <p>Zip format (torch >= 1.6): {@code <folder>/data.pkl} holds the object, each storage is the
 * entry {@code <folder>/data/<key>}, {@code <folder>/byteorder} says "little" (default) or "big".
 * Persistent ids are ('storage', storage_type, key, location, numel).
 *
 * <p>Legacy format (torch < 1.6): pickles of the magic number 0x1950a86a20f9469cfc6c, the protocol
 * version 1001 and a sys_info dict; the object pickle, whose persistent ids are ('storage',
 * storage_type, root_key, location, size, view_metadata); a pickled list of storage keys; then per
 * key, in that order, an int64 little-endian element count and the storage's bytes.
 */
public final class TorchReader {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    private static final Pattern DATA_PKL = Pattern.compile("[^/]+/data\\.pkl");
    /** data.pkl of a state dict is kilobytes to megabytes; more is a corrupt or hostile archive. */
    private static final long MAX_PICKLE_BYTES = 1L << 30;

    private TorchReader() {
    }

    /**
     * Reads a checkpoint in either format (told apart by the zip signature).
     *
     * @throws CheckpointException naming the file: not found, not a torch checkpoint, truncated,
     *         forbidden global, missing or short storage, unsupported dtype
     */
    public static TorchCheckpoint read(Path file) {
        return read(file, Long.MAX_VALUE);
    }

    /**
     * As {@link #read(Path)}, reading and gathering at most maxBytes of tensor data (storages and
     * tensors each): loads for a model pass a small multiple of its size, so that no file, however
     * small and however hostile, makes the loader allocate more.
     */
    public static TorchCheckpoint read(Path file, long maxBytes) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file, "no such file");
        }
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 4);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        if (n >= 2 && head[0] == 'P' && head[1] == 'K') {
            return readZip(file, maxBytes);
        }
        if (n >= 1 && (head[0] & 0xff) == 0x80) {
            return readLegacy(file, maxBytes);
        }
        throw new CheckpointException(file, "not a PyTorch checkpoint (neither a zip archive nor a legacy pickle)");
    }

    // ------------------------------------------------------------------ zip format

    private static TorchCheckpoint readZip(Path file, long maxBytes) {
        String src = file.toString();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            ByteOrder order = byteOrder(zip, prefix, file);
            ZipEntry pklEntry = entry(zip, prefix + "data.pkl", file);
            byte[] pkl = readEntry(zip, pklEntry, MAX_PICKLE_BYTES, file);
            Map<String, TorchStorage> storages = new LinkedHashMap<>();
            TorchUnpickler unpickler = new TorchUnpickler(src, pid -> zipStorage(pid, storages));
            Object root = unpickler.load(new PickleInput(pkl), prefix + "data.pkl");
            long declared = 0;
            for (TorchStorage s : storages.values()) {
                declared += s.byteLength();
                if (s.byteLength() < 0 || declared > maxBytes || declared < 0) {
                    throw new CheckpointException(file, "its storages declare more than " + maxBytes
                            + " bytes, more than this load allows (the model's size bounds it): not a checkpoint of this model");
                }
            }
            for (TorchStorage s : storages.values()) {
                String name = prefix + "data/" + s.key;
                ZipEntry e = entry(zip, name, file);
                if (e == null) {
                    throw new CheckpointException(file, "missing storage entry " + CheckpointException.quote(name)
                            + " for " + s.describe());
                }
                s.bytes = readEntry(zip, e, s.byteLength(), file);
                if (s.bytes.length != s.byteLength()) {
                    throw new CheckpointException(file, "storage entry " + CheckpointException.quote(name) + " has "
                            + s.bytes.length + " bytes but " + s.describe() + " needs " + s.byteLength());
                }
            }
            Object value = PickledObjects.materialize(root, src, order, maxBytes);
            return new TorchCheckpoint(file, TorchCheckpoint.Format.ZIP, prefix.substring(0, prefix.length() - 1), value);
        } catch (ZipException e) {
            throw new CheckpointException(file, "not a valid zip archive (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read zip archive (" + dev.nrpm.error.IoErrors.describe(e) + ")", e);
        }
    }

    /** "<folder>/" of the single data.pkl record, whatever the folder is called. */
    private static String archivePrefix(ZipFile zip, Path file) {
        List<String> found = new ArrayList<>();
        List<String> some = new ArrayList<>();
        for (String name : entryNames(zip, file)) {
            if (DATA_PKL.matcher(name).matches()) {
                found.add(name);
            }
            if (some.size() < 5) {
                some.add(name);
            }
        }
        if (found.isEmpty()) {
            throw new CheckpointException(file, "zip archive without a <folder>/data.pkl record, not a PyTorch"
                    + " checkpoint (entries: " + CheckpointException.quote(String.join(", ", some)) + ")");
        }
        if (found.size() > 1) {
            throw new CheckpointException(file, "zip archive with several data.pkl records: "
                    + CheckpointException.quote(String.join(", ", found)));
        }
        String pkl = found.get(0);
        return pkl.substring(0, pkl.length() - "data.pkl".length());
    }

    /**
     * The names of all entries. ZipFile checks the names when it opens a file but decodes an entry's
     * comment only here, and answers one that is not UTF-8 with an unchecked IllegalArgumentException;
     * a damaged file must get a CheckpointException instead.
     */
    private static List<String> entryNames(ZipFile zip, Path file) {
        List<String> names = new ArrayList<>();
        try {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements();) {
                names.add(en.nextElement().getName());
            }
        } catch (IllegalArgumentException e) {
            throw badNames(file, e);
        }
        return names;
    }

    private static ZipEntry entry(ZipFile zip, String name, Path file) {
        try {
            return zip.getEntry(name);
        } catch (IllegalArgumentException e) {
            throw badNames(file, e);
        }
    }

    private static CheckpointException badNames(Path file, IllegalArgumentException e) {
        return new CheckpointException(file, "zip archive with an entry comment that is not valid UTF-8 (damaged): not a"
                + " PyTorch checkpoint", e);
    }

    private static ByteOrder byteOrder(ZipFile zip, String prefix, Path file) throws IOException {
        ZipEntry e = entry(zip, prefix + "byteorder", file);
        if (e == null) {
            return ByteOrder.LITTLE_ENDIAN;       // files from before torch wrote the record
        }
        String text = new String(readEntry(zip, e, 16, file), StandardCharsets.US_ASCII).trim();
        if (text.equals("little")) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        if (text.equals("big")) {
            return ByteOrder.BIG_ENDIAN;
        }
        throw new CheckpointException(file, "unknown byte order " + CheckpointException.quote(text) + " in "
                + prefix + "byteorder");
    }

    /** ('storage', storage_type, key, location, numel): one storage object per key. */
    private static Object zipStorage(Object[] pid, Map<String, TorchStorage> storages) {
        if (pid.length != 5 || !"storage".equals(pid[0])) {
            throw new IllegalArgumentException("unexpected persistent id of length " + pid.length
                    + " (expected ('storage', type, key, location, numel))");
        }
        TorchGlobals.StorageType type = storageType(pid[1]);
        String key = String.valueOf(pid[2]);
        long numel = TorchGlobals.integer(pid[4], "storage numel");
        return sameOrNew(storages, key, type.dtype(), numel);
    }

    private static TorchStorage sameOrNew(Map<String, TorchStorage> storages, String key, DType dtype, long numel) {
        int elementSize = dtype == null ? 1 : dtype.byteSize();
        if (numel < 0 || numel > (Integer.MAX_VALUE - 8) / elementSize) {
            throw new IllegalArgumentException("storage " + CheckpointException.quote(key) + " of " + numel
                    + " elements: negative, or more bytes than one Java array holds");
        }
        TorchStorage s = storages.get(key);
        if (s == null) {
            s = new TorchStorage(key, dtype, numel);
            storages.put(key, s);
        } else if (s.dtype != dtype || s.numel != numel) {
            throw new IllegalArgumentException("storage " + CheckpointException.quote(key)
                    + " declared twice with different types or sizes");
        }
        return s;
    }

    private static TorchGlobals.StorageType storageType(Object o) {
        if (o instanceof TorchGlobals.StorageType) {
            return (TorchGlobals.StorageType) o;
        }
        if (o instanceof DType) {
            // torch 2.x TypedStorage persistent ids may carry a dtype directly
            return new TorchGlobals.StorageType(((DType) o).storageClass(), (DType) o);
        }
        throw new IllegalArgumentException("persistent id with storage type " + TorchGlobals.typeName(o));
    }

    /** Reads an entry, refusing more than limit bytes (a declared size is an upper bound here). */
    private static byte[] readEntry(ZipFile zip, ZipEntry e, long limit, Path file) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            int cap = (int) Math.min(limit, Integer.MAX_VALUE - 8);
            byte[] data = in.readNBytes(cap);
            if (in.read() != -1) {
                throw new CheckpointException(file, "zip entry " + CheckpointException.quote(e.getName())
                        + " is larger than the " + limit + " bytes expected");
            }
            return data;
        }
    }

    // ------------------------------------------------------------------ legacy format

    private static TorchCheckpoint readLegacy(Path file, long maxBytes) {
        String src = file.toString();
        byte[] all;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new CheckpointException(file, "legacy-format checkpoints over 2 GiB are not supported");
            }
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        PickleInput in = new PickleInput(all);
        TorchUnpickler header = new TorchUnpickler(src, pid -> {
            throw new IllegalArgumentException("persistent id outside the main object");
        });
        Object magic = header.load(in, "legacy record 1 (magic number)");
        // an integer (a pickled float such as 3.3 is not one: BigInteger would not parse it)
        boolean integral = magic instanceof Long || magic instanceof Integer || magic instanceof BigInteger;
        if (!integral || !LEGACY_MAGIC.equals(new BigInteger(String.valueOf(magic)))) {
            throw new CheckpointException(file, "not a PyTorch checkpoint (a pickle, but without torch's magic number)");
        }
        Object protocol = header.load(in, "legacy record 2 (protocol version)");
        if (!(protocol instanceof Number) || ((Number) protocol).longValue() != LEGACY_PROTOCOL) {
            throw new CheckpointException(file, "unsupported legacy protocol version " + protocol
                    + " (expected " + LEGACY_PROTOCOL + ")");
        }
        Object sysInfo = header.load(in, "legacy record 3 (sys_info)");
        if (!(sysInfo instanceof Map)) {
            throw new CheckpointException(file, "legacy sys_info is a " + TorchGlobals.typeName(sysInfo) + ", not a dict");
        }
        Map<String, TorchStorage> storages = new LinkedHashMap<>();
        Map<String, TorchStorage> views = new LinkedHashMap<>();
        TorchUnpickler main = new TorchUnpickler(src, pid -> legacyStorage(pid, storages, views));
        Object root = main.load(in, "legacy record 4 (the object)");
        Object keyList = header.load(in, "legacy record 5 (storage keys)");
        if (!(keyList instanceof List)) {
            throw new CheckpointException(file, "legacy storage key list is a " + TorchGlobals.typeName(keyList));
        }
        Set<String> seen = new HashSet<>();
        for (Object k : (List<?>) keyList) {
            String key = String.valueOf(k);
            TorchStorage s = storages.get(key);
            if (s == null) {
                throw new CheckpointException(file, "storage key " + CheckpointException.quote(key)
                        + " listed but never referenced by the object");
            }
            if (!seen.add(key)) {
                throw new CheckpointException(file, "storage key " + CheckpointException.quote(key) + " listed twice");
            }
            if (in.remaining() < 8) {
                throw new CheckpointException(file, "truncated: " + s.describe() + " is missing from the end of the file");
            }
            long count = in.peekLittleEndian(8);
            in.skip(8);
            if (count != s.numel) {
                throw new CheckpointException(file, s.describe() + " has " + count + " elements in the file");
            }
            long bytes = s.byteLength();
            if (bytes > in.remaining()) {
                throw new CheckpointException(file, "truncated: " + s.describe() + " needs " + bytes + " bytes, "
                        + in.remaining() + " left");
            }
            s.bytes = java.util.Arrays.copyOfRange(all, in.position(), in.position() + (int) bytes);
            in.skip((int) bytes);
        }
        for (TorchStorage s : storages.values()) {
            if (s.bytes == null) {
                throw new CheckpointException(file, "missing storage: " + s.describe()
                        + " is used by the object but not in the file's storage list");
            }
        }
        for (TorchStorage v : views.values()) {
            if (v.rootOffset + v.numel > v.root.numel) {
                throw new CheckpointException(file, "view " + v.describe() + " at offset " + v.rootOffset
                        + " reaches past " + v.root.describe());
            }
        }
        Object value = PickledObjects.materialize(root, src, ByteOrder.LITTLE_ENDIAN, maxBytes);
        return new TorchCheckpoint(file, TorchCheckpoint.Format.LEGACY, null, value);
    }

    /** ('storage', storage_type, root_key, location, size, view_metadata). */
    private static Object legacyStorage(Object[] pid, Map<String, TorchStorage> storages,
                                        Map<String, TorchStorage> views) {
        if (pid.length > 0 && "module".equals(pid[0])) {
            throw new IllegalArgumentException("a pickled nn.Module (persistent id 'module'), not a state dict");
        }
        if (pid.length != 6 || !"storage".equals(pid[0])) {
            throw new IllegalArgumentException("unexpected persistent id of length " + pid.length
                    + " (expected ('storage', type, root_key, location, size, view_metadata))");
        }
        TorchGlobals.StorageType type = storageType(pid[1]);
        if (type.dtype() == null) {
            throw new IllegalArgumentException("untyped storage in a legacy-format file");
        }
        String rootKey = String.valueOf(pid[2]);
        long size = TorchGlobals.integer(pid[4], "storage size");
        TorchStorage root = sameOrNew(storages, rootKey, type.dtype(), size);
        if (pid[5] == null) {
            return root;
        }
        Object[] view = TorchGlobals.tuple(pid[5], "view metadata");
        if (view.length != 3) {
            throw new IllegalArgumentException("view metadata of length " + view.length);
        }
        String viewKey = String.valueOf(view[0]);
        long offset = TorchGlobals.integer(view[1], "view offset");
        long viewSize = TorchGlobals.integer(view[2], "view size");
        if (offset < 0 || viewSize < 0 || offset > Integer.MAX_VALUE || viewSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("view with a negative or oversized offset or size");
        }
        TorchStorage v = views.get(viewKey);
        if (v == null) {
            v = new TorchStorage(viewKey, type.dtype(), viewSize, root, offset);
            views.put(viewKey, v);
        }
        return v;
    }
}

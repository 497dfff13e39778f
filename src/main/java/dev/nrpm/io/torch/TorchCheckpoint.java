package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link TorchReader} read from a PyTorch file: the top-level object as plain Java values
 * (maps, lists, numbers, strings, {@link HostTensor}s; see {@link #root()}) and the way to the
 * state dict inside it.
 */
public final class TorchCheckpoint {
    /** Entries of a training checkpoint that commonly hold the model's state dict, in the order tried. */
    public static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model_state_dict", "net", "model");

    /** The two layouts torch.save has used. */
    public enum Format {
        /** torch >= 1.6: a zip archive with data.pkl and one entry per storage. */
        ZIP,
        /** torch < 1.6: consecutive pickles followed by the raw storages. */
        LEGACY
    }

    private final Path file;
    private final Format format;
    private final String archiveName;
    private final Object root;

    TorchCheckpoint(Path file, Format format, String archiveName, Object root) {
        this.file = file;
        this.format = format;
        this.archiveName = archiveName;
        this.root = root;
    }

    public Path file() {
        return file;
    }

    public Format format() {
        return format;
    }

    /** The zip archive's folder name ("epoch9"), or null for the legacy format. */
    public String archiveName() {
        return archiveName;
    }

    /**
     * The unpickled top-level object. Python dict / OrderedDict are LinkedHashMap (insertion
     * order kept), list ArrayList, tuple an unmodifiable List, set LinkedHashSet, int Long
     * (BigInteger beyond 64 bits), float Double, bytes byte[], torch dtype {@link DType}, tensor
     * {@link HostTensor}.
     */
    public Object root() {
        return root;
    }

    /**
     * The state dict in this checkpoint: the top-level object itself when it maps names to
     * tensors, else the one entry among {@link #STATE_DICT_KEYS} that does (the ResNet file's
     * {"net": ..., "acc": ...}).
     *
     * @throws CheckpointException when there is none, or when several candidate entries qualify
     */
    public Map<String, HostTensor> stateDict() {
        Map<String, HostTensor> direct = asStateDict(root);
        if (direct != null) {
            return direct;
        }
        if (!(root instanceof Map)) {
            throw new CheckpointException(file, "no state dict: the top-level object is a "
                    + TorchGlobals.typeName(root) + ", not a dict");
        }
        Map<?, ?> top = (Map<?, ?>) root;
        List<String> found = new ArrayList<>();
        Map<String, HostTensor> chosen = null;
        for (String key : STATE_DICT_KEYS) {
            Map<String, HostTensor> candidate = asStateDict(top.get(key));
            if (candidate != null) {
                found.add(key);
                chosen = chosen == null ? candidate : chosen;
            }
        }
        if (found.size() > 1) {
            throw new CheckpointException(file, "ambiguous state dict: entries " + found
                    + " all map names to tensors; pick one from root()");
        }
        if (chosen == null) {
            List<String> keys = new ArrayList<>();
            for (Object k : top.keySet()) {
                keys.add(String.valueOf(k));
                if (keys.size() == 12) {
                    keys.add("...");
                    break;
                }
            }
            throw new CheckpointException(file, "no state dict: the top-level dict (keys " + keys + ") maps names to "
                    + "other things than tensors and none of " + STATE_DICT_KEYS + " holds one");
        }
        return chosen;
    }

    /** The map as a name-to-tensor map, or null when it is not one (empty counts as one). */
    private static Map<String, HostTensor> asStateDict(Object o) {
        if (!(o instanceof Map)) {
            return null;
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
            if (!(e.getKey() instanceof String) || !(e.getValue() instanceof HostTensor)) {
                return null;
            }
            out.put((String) e.getKey(), (HostTensor) e.getValue());
        }
        return out;
    }

    @Override
    public String toString() {
        return "TorchCheckpoint(" + file + ", " + format + (archiveName != null ? " '" + archiveName + "'" : "") + ")";
    }
}

package dev.nrpm.io.torch;
import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;

/**
 * One storage a PyTorch pickle refers to by persistent id: its key (zip entry name or legacy
 * storage key), its element type (null for an untyped byte storage, whose tensors carry their own
 * dtype) and its declared length. The bytes arrive after unpickling: from the zip entry, or from
 * the legacy file's tail. A legacy view storage is a window onto a root storage.
 */
final class TorchStorage {
    final String key;
    final DType dtype;        // null: untyped (torch.UntypedStorage), elements are bytes
    final long numel;         // declared length, in elements of dtype (bytes when untyped)
    final TorchStorage root;  // legacy views only, else null
    final long rootOffset;    // legacy views: first element of the window within root
    byte[] bytes;             // raw, in the file's byte order; set once read

    TorchStorage(String key, DType dtype, long numel) {
        this(key, dtype, numel, null, 0);
    }

    TorchStorage(String key, DType dtype, long numel, TorchStorage root, long rootOffset) {
        this.key = key;
        this.dtype = dtype;
        this.numel = numel;
        this.root = root;
        this.rootOffset = rootOffset;
    }

    /** Bytes per declared element. */
    int elementSize() {
        return dtype == null ? 1 : dtype.byteSize();
    }

    /** Declared length in bytes. */
    long byteLength() {
        return numel * elementSize();
    }

    String describe() {
        return "storage " + CheckpointException.quote(key) + " (" + (dtype == null ? "untyped" : dtype.storageClass())
                + ", " + numel + " elements)";
    }
}

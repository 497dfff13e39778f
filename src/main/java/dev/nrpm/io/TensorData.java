package dev.nrpm.io;

import dev.nrpm.tensor.Shape;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A tensor the safetensors writer can stream without holding every tensor's bytes at once: its
 * dtype and shape (for the header) and its contiguous little-endian bytes (for the body).
 */
public interface TensorData {
    DType dtype();

    int[] shape();

    /** Bytes {@link #writeTo} must write: element count times element size. */
    default long byteSize() {
        return Shape.size(shape()) * dtype().byteSize();
    }

    /** Writes exactly {@link #byteSize()} bytes, row-major, little-endian. */
    void writeTo(OutputStream out) throws IOException;
}

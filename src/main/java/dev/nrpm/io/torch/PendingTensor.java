package dev.nrpm.io.torch;

import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor as a torch rebuild function describes it, before its storage bytes are known: a strided
 * view (offset, sizes, strides, all in elements of dtype) onto a storage. {@link #gather} turns it
 * into a contiguous little-endian {@link HostTensor}.
 */
final class PendingTensor {
    final TorchStorage storage;
    final DType dtype;
    final long offset;
    final long[] size;
    final long[] stride;

    PendingTensor(TorchStorage storage, DType dtype, long offset, long[] size, long[] stride) {
        this.storage = storage;
        this.dtype = dtype;
        this.offset = offset;
        this.size = size;
        this.stride = stride;
    }

    /** Bytes the gathered tensor will take (Long.MAX_VALUE when that overflows): checked before allocating. */
    long byteSize() {
        long n = 1;
        try {
            for (long d : size) {
                if (d < 0) {
                    return Long.MAX_VALUE;
                }
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Copies the view out of its storage, element by element in row-major order, honouring the
     * storage offset, any strides (transposed, expanded) and the file's byte order.
     *
     * @throws IllegalArgumentException when the view reaches outside the storage
     */
    HostTensor gather(ByteOrder order) {
        int[] shape = new int[size.length];
        for (int i = 0; i < size.length; i++) {
            if (size[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension " + size[i] + " is too large");
            }
            shape[i] = (int) size[i];
        }
        int n;
        try {
            n = HostTensor.checkedSize(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
        }
        TorchStorage base = storage.root != null ? storage.root : storage;
        byte[] src = base.bytes;
        int es = dtype.byteSize();
        // the window of the storage this view may use, in bytes of base
        long windowStart = storage.rootOffset * storage.elementSize();
        long windowBytes = storage.root != null ? storage.byteLength() : src.length;
        long elementsInWindow = windowBytes / es;
        if (n > 0) {
            long last;
            try {
                last = offset;
                for (int i = 0; i < size.length; i++) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("view offset " + offset + ", stride " + Arrays.toString(stride)
                        + " overflows");
            }
            if (last >= elementsInWindow || windowStart + windowBytes > src.length) {
                throw new IllegalArgumentException(storage.describe() + " is too short for a " + dtype + " view of shape "
                        + Arrays.toString(shape) + ", offset " + offset + ", stride " + Arrays.toString(stride)
                        + ": needs " + (last + 1) + " elements, has " + elementsInWindow);
            }
        }
        byte[] out = new byte[Math.multiplyExact(n, es)];
        boolean swap = order == ByteOrder.BIG_ENDIAN && es > 1;
        int rank = size.length;
        long[] index = new long[rank];
        long pos = offset;      // element index within the window, follows index[] incrementally
        for (int i = 0; i < n; i++) {
            int from = Math.toIntExact(windowStart + pos * es);
            int to = i * es;
            if (swap) {
                for (int b = 0; b < es; b++) {
                    out[to + b] = src[from + es - 1 - b];
                }
            } else {
                System.arraycopy(src, from, out, to, es);
            }
            // odometer step over the multi-index, last axis fastest
            for (int ax = rank - 1; ax >= 0; ax--) {
                index[ax]++;
                pos += stride[ax];
                if (index[ax] < size[ax]) {
                    break;
                }
                pos -= stride[ax] * index[ax];
                index[ax] = 0;
            }
        }
        return HostTensor.wrap(dtype, shape, out);
    }
}

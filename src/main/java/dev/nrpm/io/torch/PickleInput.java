package dev.nrpm.io.torch;

import java.io.ByteArrayInputStream;

/**
 * The bytes a pickle is read from, with the position visible: errors quote the byte offset, the
 * legacy format reads several pickles and then raw storages from one stream, and length prefixes
 * are checked against what is left before anything is allocated.
 */
final class PickleInput extends ByteArrayInputStream {
    PickleInput(byte[] data) {
        super(data);
    }

    int position() {
        return pos;
    }

    int remaining() {
        return count - pos;
    }

    byte[] array() {
        return buf;
    }

    /** Reads a little-endian integer of n bytes (n = 4 or 8) without consuming it; -1 at the end. */
    long peekLittleEndian(int n) {
        if (remaining() < n) {
            return -1;
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (buf[pos + i] & 0xff);
        }
        return v;
    }

    void skip(int n) {
        pos += n;
    }
}

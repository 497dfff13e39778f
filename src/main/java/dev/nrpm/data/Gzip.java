package dev.nrpm.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Opens a file that may or may not be gzip-compressed, deciding by its first two bytes (1f 8b)
 * rather than its name: browsers and some tools unpack "x.gz" but keep the name, or the reverse.
 */
final class Gzip {
    private static final int BUFFER = 1 << 16;

    private Gzip() {
    }

    /** True when the stream starts with the gzip magic; the stream must support mark/reset. */
    static boolean startsWithMagic(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }

    /** The file's content, decompressed when it is gzip data. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        try {
            return startsWithMagic(raw) ? new GZIPInputStream(raw, BUFFER) : raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}

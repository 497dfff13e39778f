package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Buffer;
import dev.nrpm.error.NonFiniteException;
import java.util.ArrayList;
import java.util.List;

/**
 * NaN/Inf counts on the device (count_nonfinite, elementwise.cu). A required check is deferred:
 * its count goes into a slot on the device and is read with the next download (or synchronize), so
 * a check costs one kernel and no wait; 20 NRPM layers would otherwise make a forward wait for the
 * device 20 times. The exception, naming what was checked, comes from that later call.
 */
final class FiniteChecks {
    /** Checks that may be pending at once; one more reads them first. */
    private static final int SLOTS = 256;

    private final Launcher launcher;
    private final Device device;
    /** Pending checks, in slot order; their counts are in counts. */
    private final List<PendingCheck> pending = new ArrayList<>();
    /** SLOTS unsigned 64-bit counts on the device, zero where no check is pending; lazily made. */
    private DevicePointer counts;

    private record PendingCheck(String what, long n) {
    }

    FiniteChecks(Launcher launcher) {
        this.launcher = launcher;
        this.device = launcher.device;
    }

    /** The number of NaN/Inf among x's first n values, now (waits for the device). */
    long count(Buffer x, long n) {
        flush();
        if (n <= 0) {
            return 0;
        }
        DevicePointer count = device.alloc(8);
        try {
            device.fill32(count, 0, 2);
            launcher.launch1d("count_nonfinite", n, launcher.p(x), n, count, 0);
            return readCounts(count, 1)[0];
        } finally {
            device.free(count);
        }
    }

    /** Queues a check that x's first n values are finite; a failure is thrown by a later flush. */
    synchronized void require(Buffer x, long n, String what) {
        if (n <= 0) {
            return;
        }
        if (counts == null) {
            counts = device.alloc(8L * SLOTS);
            device.fill32(counts, 0, 2L * SLOTS);
        } else if (pending.size() == SLOTS) {
            flush();
        }
        launcher.launch1d("count_nonfinite", n, launcher.p(x), n, counts, pending.size());
        pending.add(new PendingCheck(what, n));
    }

    /** Reads the pending checks' counts (one copy, just before a download that waits anyway). */
    synchronized void flush() {
        if (pending.isEmpty()) {
            return;
        }
        int n = pending.size();
        long[] read = readCounts(counts, n);
        device.fill32(counts, 0, 2L * n);
        List<PendingCheck> checks = new ArrayList<>(pending);
        pending.clear();
        for (int i = 0; i < n; i++) {
            if (read[i] > 0) {
                throw NonFiniteException.counted(checks.get(i).what(), read[i], checks.get(i).n());
            }
        }
    }

    /** n unsigned 64-bit counts from the device. */
    private long[] readCounts(DevicePointer p, int n) {
        float[] words = new float[2 * n];
        device.copyOut(p, words, words.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = (Float.floatToRawIntBits(words[2 * i]) & 0xffffffffL)
                    | ((long) Float.floatToRawIntBits(words[2 * i + 1]) << 32);
        }
        return out;
    }
}

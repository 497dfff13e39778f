package dev.nrpm.bench;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.cuda.CachingDevice;
import dev.nrpm.backend.cuda.CudaBackend;

/**
 * Peak device memory of some work on the cuda backend, in the two senses PyTorch reports:
 * allocated (live buffers; torch.cuda.max_memory_allocated) and held from the driver, cache
 * included (close to torch.cuda.max_memory_reserved). Both are -1 on backends without a device.
 */
final class DevicePeak {
    private final CachingDevice device;

    record Peaks(long allocated, long held) {
        static final Peaks NONE = new Peaks(-1, -1);

        /** "allocated / held" in MiB with the given decimals, or "n/a" off the GPU, for tables. */
        String describe(int decimals) {
            String f = "%." + decimals + "f";
            return allocated < 0 ? "n/a"
                    : String.format(java.util.Locale.ROOT, f + " / " + f, allocated / 1048576.0, held / 1048576.0);
        }
    }

    DevicePeak(Backend backend) {
        this.device = backend instanceof CudaBackend && ((CudaBackend) backend).device() instanceof CachingDevice
                ? (CachingDevice) ((CudaBackend) backend).device() : null;
    }

    /** Starts a measurement: the cache goes back to the driver, so "held" counts only what follows. */
    void reset() {
        if (device != null) {
            device.synchronize();
            device.emptyCache();
            device.resetPeak();
        }
    }

    Peaks read() {
        return device == null ? Peaks.NONE : new Peaks(device.peakLiveBytes(), device.peakBytes());
    }
}

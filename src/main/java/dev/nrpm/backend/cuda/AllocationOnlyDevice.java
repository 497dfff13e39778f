package dev.nrpm.backend.cuda;

import java.util.Map;
import java.util.TreeMap;

/**
 * A device that counts allocations and launches and does nothing else: launches and copies are
 * skipped and downloads read zeros. CudaBackend runs on it unchanged, so the peak it records is
 * exactly what the backend would ask a GPU's driver for, and the launch count what it would queue
 * (bench/GpuMemoryPlan, TrainingMemoryTest), on a machine without one.
 */
public final class AllocationOnlyDevice implements Device {
    private long inUse;
    private long peak;
    private long launches;
    private long downloads;
    /** Launches per kernel name, memsets as "(memset)" and device-to-device copies as "(copy)". */
    private final Map<String, Long> tally = new TreeMap<>();

    private record Block(long bytes) implements DevicePointer {
    }

    @Override
    public String describe() {
        return "allocation-only device (kernels skipped)";
    }

    /** An H100 SXM / H200's count, so the split-K scratch buffers are counted as on those GPUs. */
    @Override
    public int multiprocessors() {
        return 132;
    }

    @Override
    public DevicePointer alloc(long bytes) {
        inUse += bytes;
        peak = Math.max(peak, inUse);
        return new Block(bytes);
    }

    @Override
    public void free(DevicePointer p) {
        inUse -= ((Block) p).bytes();
    }

    @Override
    public void copyIn(DevicePointer dst, float[] src, int count) {
    }

    @Override
    public void copyOut(DevicePointer src, float[] dst, int count) {
        downloads++;
    }

    /** Copies to the host so far: each one waits for the device to finish all queued work. */
    public long downloads() {
        return downloads;
    }

    @Override
    public void copy(DevicePointer src, DevicePointer dst, long bytes) {
        tally.merge("(copy)", 1L, Long::sum);
    }

    @Override
    public void fill32(DevicePointer dst, int bits, long count) {
        launches++;     // a memset is queued work with a launch's cost
        tally.merge("(memset)", 1L, Long::sum);
    }

    @Override
    public void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        launches++;
        tally.merge(kernel, 1L, Long::sum);
    }

    /**
     * Launches so far by kernel name, with memsets as "(memset)" and device-to-device copies as
     * "(copy)" (copies are not in {@link #launches}); a copy, sorted by name.
     */
    public Map<String, Long> launchesByKernel() {
        return new TreeMap<>(tally);
    }

    /** Kernel launches and memsets so far (vendor GEMMs are never taken here: {@link #vendorGemm} is false). */
    public long launches() {
        return launches;
    }

    @Override
    public void synchronize() {
    }

    @Override
    public long bytesInUse() {
        return inUse;
    }

    @Override
    public long peakBytes() {
        return peak;
    }

    @Override
    public void resetPeak() {
        peak = inUse;
    }

    @Override
    public void close() {
    }
}

package dev.nrpm.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps freed device memory for reuse, as PyTorch's caching allocator does: a training step frees
 * and re-allocates the same activation sizes every iteration, and cuMemAlloc/cuMemFree cost far
 * more than the small kernels between them (cuMemFree may wait for the whole device). Sizes are
 * rounded up (512 B below 1 MiB, 2 MiB above) and reused by exact rounded size. All work runs on
 * one stream, so a block freed while a queued kernel still reads it is only handed out to work
 * queued after that kernel. When the device runs out, the cache is returned and the allocation
 * tried once more.
 */
public final class CachingDevice implements Device {
    private static final long SMALL = 1L << 20;
    private static final long LARGE_STEP = 2L << 20;

    private final Device inner;
    private final Map<Long, ArrayDeque<Block>> cache = new HashMap<>();
    private long live;
    private long peakLive;
    private long cached;
    private long hits;
    private long misses;

    private record Block(DevicePointer raw, long size) implements DevicePointer {
    }

    public CachingDevice(Device inner) {
        this.inner = inner;
    }

    static long rounded(long bytes) {
        long b = Math.max(bytes, 4);
        return b <= SMALL ? (b + 511) & ~511L : (b + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public synchronized DevicePointer alloc(long bytes) {
        long size = rounded(bytes);
        ArrayDeque<Block> q = cache.get(size);
        Block b = q == null ? null : q.poll();
        if (b != null) {
            cached -= size;
            hits++;
        } else {
            misses++;
            DevicePointer raw;
            try {
                raw = inner.alloc(size);
            } catch (CudaError e) {
                if (cached == 0) {
                    throw e;
                }
                emptyCache();
                raw = inner.alloc(size);
            }
            b = new Block(raw, size);
        }
        live += size;
        peakLive = Math.max(peakLive, live);
        return b;
    }

    @Override
    public synchronized void free(DevicePointer p) {
        Block b = (Block) p;
        live -= b.size();
        cached += b.size();
        cache.computeIfAbsent(b.size(), k -> new ArrayDeque<>()).push(b);
    }

    /** Returns every cached block to the device. */
    public synchronized void emptyCache() {
        for (ArrayDeque<Block> q : cache.values()) {
            for (Block b : q) {
                inner.free(b.raw());
            }
        }
        cache.clear();
        cached = 0;
    }

    /** Allocations served from the cache, and those that went to the device. */
    public synchronized long[] hitsAndMisses() {
        return new long[] {hits, misses};
    }

    private static DevicePointer raw(DevicePointer p) {
        return p == null ? null : ((Block) p).raw();
    }

    @Override
    public void copyIn(DevicePointer dst, float[] src, int count) {
        inner.copyIn(raw(dst), src, count);
    }

    @Override
    public void copyOut(DevicePointer src, float[] dst, int count) {
        inner.copyOut(raw(src), dst, count);
    }

    @Override
    public void copy(DevicePointer src, DevicePointer dst, long bytes) {
        inner.copy(raw(src), raw(dst), bytes);
    }

    @Override
    public void fill32(DevicePointer dst, int bits, long count) {
        inner.fill32(raw(dst), bits, count);
    }

    @Override
    public void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        Object[] a = args.clone();
        for (int i = 0; i < a.length; i++) {
            if (a[i] instanceof Block) {
                a[i] = ((Block) a[i]).raw();
            }
        }
        inner.launch(kernel, gx, gy, gz, bx, by, bz, a);
    }

    @Override
    public boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePointer a,
                              DevicePointer b, float beta, DevicePointer c) {
        return inner.vendorGemm(transA, transB, m, n, k, alpha, raw(a), raw(b), beta, raw(c));
    }

    @Override
    public int multiprocessors() {
        return inner.multiprocessors();
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    @Override
    public float timeMillis(Runnable work) {
        return inner.timeMillis(work);
    }

    /** Bytes held from the device: live buffers plus the cache. */
    @Override
    public synchronized long bytesInUse() {
        return live + cached;
    }

    /** The most ever held from the device (what the GPU had to have free). */
    @Override
    public long peakBytes() {
        return inner.peakBytes();
    }

    /**
     * The most ever handed out as live buffers at once (sizes rounded), not counting the cache:
     * what PyTorch reports as torch.cuda.max_memory_allocated, while {@link #peakBytes()} is
     * closer to its max_memory_reserved.
     */
    public synchronized long peakLiveBytes() {
        return peakLive;
    }

    @Override
    public synchronized void resetPeak() {
        peakLive = live;
        inner.resetPeak();
    }

    @Override
    public void close() {
        emptyCache();
        inner.close();
    }
}

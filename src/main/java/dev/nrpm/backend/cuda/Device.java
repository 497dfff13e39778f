package dev.nrpm.backend.cuda;

/**
 * What {@link CudaBackend} needs from a CUDA device: memory, copies, and kernel launches by entry
 * point name (kernels/README.md lists them with their launch shapes). Arguments of a launch are
 * {@link DevicePointer} (null for a null pointer), Integer (int), Long (long long or unsigned long
 * long), Float (float), or int[] (a struct passed by value, as its 32-bit words in field order).
 */
public interface Device extends AutoCloseable {

    /** One line for logs: the GPU's name, compute capability, memory. */
    String describe();

    /**
     * Streaming multiprocessors of the device: CudaBackend sizes the split of long reductions
     * (the weight gradients' gridDim.z) to fill them.
     */
    int multiprocessors();

    DevicePointer alloc(long bytes);

    void free(DevicePointer p);

    void copyIn(DevicePointer dst, float[] src, int count);

    void copyOut(DevicePointer src, float[] dst, int count);

    void copy(DevicePointer src, DevicePointer dst, long bytes);

    /** Sets count 32-bit words to the given bit pattern. */
    void fill32(DevicePointer dst, int bits, long count);

    void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, Object... args);

    /**
     * C = alpha op(A) op(B) + beta C (row-major, as Backend.gemm) through a vendor library where one
     * is usable; returns false, having done nothing, where none is (then our kernel runs).
     */
    default boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePointer a,
                               DevicePointer b, float beta, DevicePointer c) {
        return false;
    }

    /** Waits for all queued work; errors of asynchronous launches surface here. */
    void synchronize();

    /**
     * Milliseconds from before to after the work on the device's own timeline (CUDA events where
     * there is a GPU; here, the host clock between two synchronizations).
     */
    default float timeMillis(Runnable work) {
        synchronize();
        long t0 = System.nanoTime();
        work.run();
        synchronize();
        return (System.nanoTime() - t0) / 1e6f;
    }

    /** Device memory in use by this process's allocations through this device, in bytes. */
    long bytesInUse();

    /** The highest {@link #bytesInUse()} since the last reset. */
    long peakBytes();

    void resetPeak();

    @Override
    void close();
}

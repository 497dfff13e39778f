package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.Split;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TrainedModels;
import dev.nrpm.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The caching allocator reuses memory, gives it back when the device runs out, and changes no result. */
class CachingDeviceTest {
    /** Counts allocations; refuses past a capacity, like a full GPU. */
    private static final class Limited implements Device {
        final AllocationOnlyDevice counter = new AllocationOnlyDevice();
        final long capacity;
        int allocs;
        int frees;

        Limited(long capacity) {
            this.capacity = capacity;
        }

        @Override public String describe() { return "limited"; }
        @Override public DevicePointer alloc(long bytes) {
            if (counter.bytesInUse() + bytes > capacity) {
                throw new CudaError("cuMemAlloc(" + bytes + " bytes)", "CUDA_ERROR_OUT_OF_MEMORY", null);
            }
            allocs++;
            return counter.alloc(bytes);
        }
        @Override public void free(DevicePointer p) { frees++; counter.free(p); }
        @Override public void copyIn(DevicePointer dst, float[] src, int count) { }
        @Override public void copyOut(DevicePointer src, float[] dst, int count) { }
        @Override public void copy(DevicePointer src, DevicePointer dst, long bytes) { }
        @Override public void fill32(DevicePointer dst, int bits, long count) { }
        @Override public void launch(String k, int gx, int gy, int gz, int bx, int by, int bz, Object... a) { }
        @Override public int multiprocessors() { return 1; }
        @Override public void synchronize() { }
        @Override public long bytesInUse() { return counter.bytesInUse(); }
        @Override public long peakBytes() { return counter.peakBytes(); }
        @Override public void resetPeak() { counter.resetPeak(); }
        @Override public void close() { }
    }

    @Test
    void freedBlocksOfTheSameRoundedSizeAreReused() {
        Limited raw = new Limited(1L << 40);
        CachingDevice d = new CachingDevice(raw);
        DevicePointer a = d.alloc(1000);
        d.free(a);
        DevicePointer b = d.alloc(1010);          // same 512-byte bucket
        assertSame(a, b, "a freed block of the same rounded size comes back");
        DevicePointer c = d.alloc(5L << 20);
        d.free(c);
        d.alloc((5L << 20) - 100);                 // same 2 MiB bucket
        assertEquals(2, raw.allocs);
        assertEquals(0, raw.frees);
        assertArrayEquals(new long[] {2, 2}, d.hitsAndMisses());
        assertEquals(1024 + (6L << 20), d.bytesInUse());
    }

    @Test
    void runningOutEmptiesTheCacheAndTriesOnceMore() {
        Limited raw = new Limited(8L << 20);
        CachingDevice d = new CachingDevice(raw);
        d.free(d.alloc(6L << 20));                 // 6 MiB now cached
        DevicePointer big = d.alloc(4L << 20);     // does not fit beside the cache: cache returned, then fits
        assertTrue(raw.frees == 1 && big != null);
        assertThrows(CudaError.class, () -> d.alloc(6L << 20), "really out of memory with nothing cached");
    }

    @Test
    void trainingThroughTheCacheGivesBitForBitTheSameWeights() {
        String lib = System.getProperty("nrpm.emu.lib");
        Assumptions.assumeTrue(EmulatedDevice.probe(lib == null ? null : Path.of(lib)) == null,
                "the kernel emulator is not built here");
        Backend plain = TestBackends.require("cuda-emu");
        CachingDevice cache = new CachingDevice(new EmulatedDevice(Path.of(lib)));
        Backend cached = new CudaBackend(cache, "cuda-emu-cached");
        float[][] weights = new float[2][];
        Backend[] backends = {plain, cached};
        for (int i = 0; i < 2; i++) {
            Module m = ModelSpec.of("lenet", InputShape.MNIST).build(new ParamInit(backends[i], 4));
            PatternMatchingSwitch.apply(m, List.of("fc*"), PatternMatching.nrpm(1, 1e-2f, 0.5f));
            TrainedModels.train(m, backends[i], TrainedModels.synthDigits(Split.TRAIN, 36), TrainConfig.of(1, 12, 0.05f));
            weights[i] = m.namedParameters().get("conv1.weight").toFloatArray();
        }
        assertTrue(cache.hitsAndMisses()[0] > cache.hitsAndMisses()[1], "steps reuse memory: " + cache.hitsAndMisses()[0]
                + " hits, " + cache.hitsAndMisses()[1] + " misses");
        assertArrayEquals(weights[0], weights[1], "reused memory changed a result");
    }
}

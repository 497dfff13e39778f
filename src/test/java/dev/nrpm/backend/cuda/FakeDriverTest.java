package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.testing.TestRandom;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JCudaDevice through JCuda's real JNI library, with kernels/emu/fake_libcuda.cpp standing in for
 * the NVIDIA driver. Runs only in surefire's "fake-driver" execution (pom.xml), which preloads the
 * fake; there the conformance suites also run on the "cuda" backend itself. This covers what the
 * emulated Device cannot: JCuda's marshalling of kernel arguments and copies, module loading, and
 * how driver errors reach the user.
 */
class FakeDriverTest {
    private static JCudaDevice device;
    private static Function setMemoryLimit;
    private static Function bytesInUse;
    private final TestRandom rnd = new TestRandom();

    @BeforeAll
    static void fakeDriverInUse() {
        String lib = System.getProperty("nrpm.fakecuda.lib");
        Assumptions.assumeTrue(lib != null && Files.isRegularFile(Path.of(lib)),
                () -> "the fake libcuda was not built (" + lib + "; kernels/emu/build.sh needs g++)");
        Assumptions.assumeTrue(!KernelImages.names().isEmpty(), "this build has no compiled kernels (no nvcc)");
        // the fake is preloaded: if JCuda found no driver, the preload failed and nothing here is tested
        assertNull(JCudaDevice.probe(), "JCuda did not find the preloaded fake libcuda");
        device = new JCudaDevice();
        assertTrue(device.describe().startsWith("fake libcuda"), () -> "not the fake driver: " + device.describe());
        NativeLibrary fake = NativeLibrary.getInstance(lib);
        setMemoryLimit = fake.getFunction("fake_cuda_set_memory_limit");
        bytesInUse = fake.getFunction("fake_cuda_bytes_in_use");
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    private static float[] roundTrip(DevicePointer p, float[] values) {
        device.copyIn(p, values, values.length);
        float[] back = new float[values.length];
        device.copyOut(p, back, back.length);
        return back;
    }

    @Test
    void describesTheDevice() {
        String sms = System.getenv("FAKE_CUDA_SMS");
        assertEquals(sms == null ? 4 : Integer.parseInt(sms), device.multiprocessors());
        assertTrue(device.describe().contains("sm_90"), device.describe());
    }

    @Test
    void copiesAndFillsKeepEveryBit() {
        int n = rnd.between(1, 5000);
        float[] values = rnd.normal(n, 3.0);
        values[0] = Float.NaN;
        values[n - 1] = -0.0f;
        DevicePointer a = device.alloc(4L * n);
        DevicePointer b = device.alloc(4L * n);
        try {
            assertArrayEquals(values, roundTrip(a, values));
            device.copy(a, b, 4L * n);
            float[] out = new float[n];
            device.copyOut(b, out, n);
            assertArrayEquals(values, out);
            device.fill32(b, Float.floatToRawIntBits(-2.5f), n);
            device.copyOut(b, out, n);
            for (float v : out) {
                assertEquals(-2.5f, v);
            }
        } finally {
            device.free(a);
            device.free(b);
        }
    }

    /** Every argument kind JCudaDevice marshals (pointer, float, long long) reaches the kernel intact. */
    @Test
    void kernelArgumentsArriveIntact() {
        int n = rnd.between(1, 3000);
        float[] x = rnd.normal(n, 1.0);
        float[] y = rnd.normal(n, 1.0);
        float alpha = (float) rnd.uniform(-2, 2);
        float beta = (float) rnd.uniform(-2, 2);
        DevicePointer dx = device.alloc(4L * n);
        DevicePointer dy = device.alloc(4L * n);
        try {
            device.copyIn(dx, x, n);
            device.copyIn(dy, y, n);
            device.launch("axpby", (n + 255) / 256, 1, 1, 256, 1, 1, alpha, dx, beta, dy, (long) n);
            float[] out = new float[n];
            device.copyOut(dy, out, n);
            for (int i = 0; i < n; i++) {
                assertEquals(alpha * x[i] + beta * y[i], out[i], 1e-5 * (1 + Math.abs(out[i])), "element " + i);
            }
        } finally {
            device.free(dx);
            device.free(dy);
        }
    }

    @Test
    void aKernelWritingOutOfBoundsFailsAtTheNextSyncNamingIt() {
        DevicePointer dx = device.alloc(4L * 64);
        DevicePointer dy = device.alloc(4L * 64);
        try {
            device.copyIn(dx, rnd.normal(64, 1.0), 64);
            // 80 elements into 64: the last 16 land in dy's guard
            device.launch("axpby", 1, 1, 1, 256, 1, 1, 2f, dx, 0f, dy, 80L);
            CudaError e = assertThrows(CudaError.class, device::synchronize);
            assertTrue(e.getMessage().contains("axpby") && e.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED"),
                    e.getMessage());
        } finally {
            device.free(dx);
            device.free(dy);
        }
    }

    @Test
    void badLaunchesAndCopiesAreTypedErrors() {
        DevicePointer p = device.alloc(4L * 16);
        try {
            CudaError launch = assertThrows(CudaError.class,
                    () -> device.launch("axpby", 1, 1, 1, 2048, 1, 1, 1f, p, 0f, p, 16L));
            assertEquals("kernel axpby", launch.what());
            CudaError missing = assertThrows(CudaError.class, () -> device.launch("no_such_kernel", 1, 1, 1, 1, 1, 1));
            assertTrue(missing.getMessage().contains("no such entry point"), missing.getMessage());
            CudaError copy = assertThrows(CudaError.class, () -> device.copyIn(p, new float[17], 17));
            assertTrue(copy.getMessage().contains("CUDA_ERROR_INVALID_VALUE"), copy.getMessage());
        } finally {
            device.free(p);
        }
    }

    @Test
    void outOfMemoryIsATypedErrorAndTheCacheGivesMemoryBack() {
        // every allocation in this JVM counts (the conformance suites' backend holds some too)
        long inUse = bytesInUse.invokeLong(new Object[0]);
        setMemoryLimit.invoke(Void.class, new Object[] {inUse + (5L << 20)});
        try {
            CudaError oom = assertThrows(CudaError.class, () -> device.alloc(6L << 20));
            assertTrue(oom.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY") && oom.getMessage().contains("MiB of the device's"),
                    oom.getMessage());
            // 2 MiB held in the cache, then 4 MiB: the device can serve that only once the cache is emptied
            CachingDevice cache = new CachingDevice(device);
            cache.free(cache.alloc(2L << 20));
            cache.free(cache.alloc(4L << 20));
            cache.emptyCache();
        } finally {
            setMemoryLimit.invoke(Void.class, new Object[] {4L << 30});
        }
    }

    /** The driver's context is per thread: a call from a fresh thread must make ours current first. */
    @Test
    void worksFromAnotherThread() throws Exception {
        float[] values = rnd.normal(100, 1.0);
        AtomicReference<float[]> back = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                DevicePointer p = device.alloc(400);
                back.set(roundTrip(p, values));
                device.free(p);
            } catch (Throwable e) {
                error.set(e);
            }
        });
        t.start();
        t.join();
        assertNull(error.get());
        assertArrayEquals(values, back.get());
    }

    @Test
    void eventsTimeWork() {
        float ms = device.timeMillis(() -> device.synchronize());
        assertTrue(ms >= 0 && ms < 10_000, "elapsed " + ms);
    }

    /**
     * CublasGemm's row-major to column-major mapping, through JCublas on the fake cuBLAS (a CPU
     * sgemm by the BLAS definition): every transpose combination, odd shapes, beta 0 and not.
     */
    @Test
    void cublasGemmMatchesTheDefinition() {
        assertTrue(device.usesCublas(), "the fake libcublas.so.12 is preloaded, but cuBLAS did not load");
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                int m = rnd.between(1, 40);
                int n = rnd.between(1, 40);
                int k = rnd.between(1, 40);
                float[] a = rnd.normal(m * k, 1.0);
                float[] b = rnd.normal(k * n, 1.0);
                float[] c = rnd.normal(m * n, 1.0);
                float alpha = (float) rnd.uniform(-2, 2);
                float beta = transA ? 0f : (float) rnd.uniform(-2, 2);
                DevicePointer da = device.alloc(4L * a.length);
                DevicePointer db = device.alloc(4L * b.length);
                DevicePointer dc = device.alloc(4L * c.length);
                try {
                    device.copyIn(da, a, a.length);
                    device.copyIn(db, b, b.length);
                    device.copyIn(dc, c, c.length);
                    assertTrue(device.vendorGemm(transA, transB, m, n, k, alpha, da, db, beta, dc));
                    float[] got = new float[m * n];
                    device.copyOut(dc, got, got.length);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double want = beta == 0f ? 0 : (double) beta * c[i * n + j];
                            for (int p = 0; p < k; p++) {
                                // row-major A (m, k), or (k, m) stored when transposed; B likewise
                                double av = transA ? a[p * m + i] : a[i * k + p];
                                double bv = transB ? b[j * k + p] : b[p * n + j];
                                want += alpha * av * bv;
                            }
                            assertEquals(want, got[i * n + j], 1e-4 * (1 + Math.abs(want)),
                                    "C[" + i + "," + j + "] transA=" + transA + " transB=" + transB);
                        }
                    }
                } finally {
                    device.free(da);
                    device.free(db);
                    device.free(dc);
                }
            }
        }
    }

    /** The provider path a user takes: "cuda" resolves to JCudaDevice on the (fake) driver. */
    @Test
    void theCudaBackendRunsOnIt() {
        Backend cuda = Backends.get("cuda");
        float[] v = rnd.normal(rnd.between(1, 1000), 1.0);
        assertArrayEquals(v, cuda.download(cuda.upload(v)));
    }
}

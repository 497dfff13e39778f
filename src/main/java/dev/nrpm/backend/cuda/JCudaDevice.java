package dev.nrpm.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPU 0 through JCuda's driver API: its primary context, our kernel modules loaded from the jar,
 * plain device allocations, launches on the default stream. Every CUDA failure becomes a
 * {@link CudaError} naming the kernel or the driver call. Launches are asynchronous: an error in a
 * kernel surfaces at the next synchronizing call, which names the kernel launched last.
 */
final class JCudaDevice implements Device {
    private static final Logger LOG = LoggerFactory.getLogger(JCudaDevice.class);
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final List<CUmodule> modules = new ArrayList<>();
    /** The context is per thread in the driver API: make ours current on whichever thread calls. */
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final String description;
    private final int multiprocessors;
    private final long totalBytes;
    private final AtomicLong inUse = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private volatile String lastKernel = "(none)";
    /** cuBLAS for dense LPM, or null where it does not load (or -Dnrpm.cuda.cublas=false). */
    private final CublasGemm cublas;
    private boolean closed;

    private static final class Ptr implements DevicePointer {
        final CUdeviceptr p = new CUdeviceptr();
        final long bytes;

        Ptr(long bytes) {
            this.bytes = bytes;
        }
    }

    /** Why no GPU can be used here, or null. Safe to call where JCuda's natives cannot load. */
    static String probe() {
        try {
            if (KernelImages.names().isEmpty()) {
                return "this build carries no compiled kernels (nvcc was not found when it was built)";
            }
            JCudaDriver.setExceptionsEnabled(false);
            int rc = cuInit(0);
            if (rc != CUresult.CUDA_SUCCESS) {
                return "cuInit failed: " + CUresult.stringFor(rc) + " (no NVIDIA driver or GPU)";
            }
            int[] count = {0};
            rc = cuDeviceGetCount(count);
            if (rc != CUresult.CUDA_SUCCESS || count[0] == 0) {
                return "no CUDA device found";
            }
            if (ordinal() >= count[0]) {
                return "-D" + ORDINAL + "=" + ordinal() + " names no device (" + count[0] + " found)";
            }
            return null;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JCuda's message carries its whole nested stack trace; its first line is the reason
            String m = String.valueOf(e.getMessage());
            return "JCuda's native library did not load (no NVIDIA driver here?): " + m.lines().findFirst().orElse(m);
        } finally {
            try {
                JCudaDriver.setExceptionsEnabled(true);
            } catch (Throwable ignored) {
                // natives missing: already reported
            }
        }
    }

    /**
     * Which GPU of the machine: -Dnrpm.cuda.device=N (default 0). Distributed runs set it from the
     * GPU the cluster assigned to the executor.
     */
    public static final String ORDINAL = "nrpm.cuda.device";

    static int ordinal() {
        return Math.max(0, Integer.getInteger(ORDINAL, 0));
    }

    JCudaDevice() {
        JCudaDriver.setExceptionsEnabled(true);
        call("cuInit", () -> cuInit(0));
        call("cuDeviceGet", () -> cuDeviceGet(device, ordinal()));
        call("cuDevicePrimaryCtxRetain", () -> cuDevicePrimaryCtxRetain(context, device));
        makeCurrent();
        for (byte[] image : KernelImages.load()) {
            CUmodule module = new CUmodule();
            call("cuModuleLoadData", () -> cuModuleLoadData(module, image));
            modules.add(module);
        }
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] major = {0};
        int[] minor = {0};
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        multiprocessors = Math.max(1, sms[0]);
        long[] total = {0};
        cuDeviceTotalMem(total, device);
        String n = new String(name, StandardCharsets.US_ASCII);
        n = n.substring(0, n.indexOf(0) < 0 ? n.length() : n.indexOf(0));
        totalBytes = total[0];
        description = n + ", sm_" + major[0] + minor[0] + ", " + (total[0] >> 20) + " MiB";
        cublas = loadCublas();
    }

    private static CublasGemm loadCublas() {
        if (!Boolean.parseBoolean(System.getProperty("nrpm.cuda.cublas", "true"))) {
            LOG.info("cuBLAS turned off (-Dnrpm.cuda.cublas=false): dense LPM runs on our SGEMM kernel");
            return null;
        }
        try {
            CublasGemm g = new CublasGemm();
            LOG.info("dense LPM uses cuBLAS");
            return g;
        } catch (Throwable t) {        // no libcublas.so.12, no JCublas natives, or a cuBLAS error
            String m = String.valueOf(t.getMessage());
            LOG.info("cuBLAS not usable ({}): dense LPM runs on our SGEMM kernel",
                    t.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse(m));
            return null;
        }
    }

    @Override
    public boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePointer a,
                              DevicePointer b, float beta, DevicePointer c) {
        if (cublas == null) {
            return false;
        }
        makeCurrent();
        lastKernel = "cublasSgemm";
        call("cublasSgemm", () -> cublas.gemm(transA, transB, m, n, k, alpha, ((Ptr) a).p, ((Ptr) b).p, beta,
                ((Ptr) c).p));
        return true;
    }


    /** Whether dense LPM goes through cuBLAS here. */
    boolean usesCublas() {
        return cublas != null;
    }

    private void makeCurrent() {
        if (!current.get()) {
            call("cuCtxSetCurrent", () -> cuCtxSetCurrent(context));
            current.set(true);
        }
    }

    private static void call(String what, Runnable r) {
        try {
            r.run();
        } catch (CudaException e) {
            throw new CudaError(what, e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public int multiprocessors() {
        return multiprocessors;
    }

    @Override
    public DevicePointer alloc(long bytes) {
        makeCurrent();
        Ptr p = new Ptr(Math.max(bytes, 4));
        try {
            cuMemAlloc(p.p, p.bytes);
        } catch (CudaException e) {
            String detail = e.getMessage();
            if (String.valueOf(detail).contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                detail += " (this process holds " + (inUse.get() >> 20) + " MiB of the device's " + (totalBytes >> 20)
                        + " MiB, other processes and the CUDA context take more; a smaller batch needs less)";
            }
            throw new CudaError("cuMemAlloc(" + bytes + " bytes)", detail, e);
        }
        long now = inUse.addAndGet(p.bytes);
        peak.accumulateAndGet(now, Math::max);
        return p;
    }

    @Override
    public void free(DevicePointer p) {
        if (closed) {
            return;                 // the context is gone, and its memory with it
        }
        makeCurrent();
        Ptr q = (Ptr) p;
        call("cuMemFree", () -> cuMemFree(q.p));
        inUse.addAndGet(-q.bytes);
    }

    @Override
    public void copyIn(DevicePointer dst, float[] src, int count) {
        makeCurrent();
        call("cuMemcpyHtoD", () -> cuMemcpyHtoD(((Ptr) dst).p, Pointer.to(src), 4L * count));
    }

    @Override
    public void copyOut(DevicePointer src, float[] dst, int count) {
        makeCurrent();
        call("cuMemcpyDtoH after " + lastKernel, () -> cuMemcpyDtoH(Pointer.to(dst), ((Ptr) src).p, 4L * count));
    }

    @Override
    public void copy(DevicePointer src, DevicePointer dst, long bytes) {
        makeCurrent();
        call("cuMemcpyDtoD", () -> cuMemcpyDtoD(((Ptr) dst).p, ((Ptr) src).p, bytes));
    }

    @Override
    public void fill32(DevicePointer dst, int bits, long count) {
        makeCurrent();
        call("cuMemsetD32", () -> cuMemsetD32(((Ptr) dst).p, bits, count));
    }

    @Override
    public void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        makeCurrent();
        CUfunction f = function(kernel);
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = param(kernel, i, args[i]);
        }
        lastKernel = kernel;
        call("kernel " + kernel, () -> cuLaunchKernel(f, gx, gy, gz, bx, by, bz, 0, null, Pointer.to(params), null));
    }

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private static Pointer param(String kernel, int i, Object a) {
        if (a == null) {
            return Pointer.to(NULL);
        } else if (a instanceof Ptr) {
            return Pointer.to(((Ptr) a).p);
        } else if (a instanceof Integer) {
            return Pointer.to(new int[] {(Integer) a});
        } else if (a instanceof Long) {
            return Pointer.to(new long[] {(Long) a});
        } else if (a instanceof Float) {
            return Pointer.to(new float[] {(Float) a});
        } else if (a instanceof int[]) {
            return Pointer.to((int[]) a);
        }
        throw new IllegalArgumentException("kernel " + kernel + " argument " + i + ": unsupported type " + a.getClass());
    }

    private CUfunction function(String kernel) {
        CUfunction f = functions.get(kernel);
        if (f == null) {
            for (CUmodule m : modules) {
                CUfunction candidate = new CUfunction();
                JCudaDriver.setExceptionsEnabled(false);
                int rc = cuModuleGetFunction(candidate, m, kernel);
                JCudaDriver.setExceptionsEnabled(true);
                if (rc == CUresult.CUDA_SUCCESS) {
                    f = candidate;
                    break;
                }
            }
            if (f == null) {
                throw new CudaError("kernel " + kernel, "no such entry point in the loaded kernel images", null);
            }
            functions.put(kernel, f);
        }
        return f;
    }

    @Override
    public void synchronize() {
        makeCurrent();
        call("kernel " + lastKernel + " (at synchronize)", JCudaDriver::cuCtxSynchronize);
    }

    /** Milliseconds between CUDA events recorded before and after the work (warm-up is the caller's). */
    @Override
    public float timeMillis(Runnable work) {
        makeCurrent();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        try {
            cuEventRecord(start, null);
            work.run();
            cuEventRecord(stop, null);
            cuEventSynchronize(stop);
            float[] ms = {0};
            cuEventElapsedTime(ms, start, stop);
            return ms[0];
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
    }

    @Override
    public long bytesInUse() {
        return inUse.get();
    }

    @Override
    public long peakBytes() {
        return peak.get();
    }

    @Override
    public void resetPeak() {
        peak.set(inUse.get());
    }

    @Override
    public void close() {
        if (!closed) {
            cuCtxSynchronize();
            closed = true;
            if (cublas != null) {
                cublas.close();
            }
            cuDevicePrimaryCtxRelease(device);
        }
    }
}

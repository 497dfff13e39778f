package dev.nrpm.backend.cuda;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A {@link Device} whose kernels are the real kernels/*.cu sources compiled by g++ against
 * kernels/emu/cuda_emu.h: blocks run one after another, their threads as fibers, so the suite
 * checks the CUDA backend's Java code and its kernels on machines without a GPU.
 *
 * <p>"Device memory" is malloc'd host memory with a guard zone on each side; after every launch
 * the guards of all live allocations are checked, so a kernel that writes out of bounds fails its
 * test by name instead of corrupting the heap.
 */
final class EmulatedDevice implements Device {
    private static final int GUARD = 256;
    /** Each allocation's guards hold their own byte, so copying one guard into another is still seen. */
    private static int serial;

    private final Function launch;
    private final Function lastError;
    private final Map<Alloc, Boolean> live = new IdentityHashMap<>();
    private long inUse;
    private long peak;

    private static final class Alloc implements DevicePointer {
        final long base;
        final long bytes;
        final byte guard = (byte) (0x21 + 37 * serial++ % 200);

        Alloc(long bytes) {
            this.bytes = bytes;
            this.base = Native.malloc(bytes + 2L * GUARD);
            if (base == 0) {
                throw new OutOfMemoryError("emulated device: malloc of " + bytes + " bytes failed");
            }
            Pointer p = new Pointer(base);
            p.setMemory(0, GUARD, guard);
            p.setMemory(GUARD + bytes, GUARD, guard);
        }

        Pointer data() {
            return new Pointer(base + GUARD);
        }

        String damagedGuard() {
            Pointer p = new Pointer(base);
            byte[] lo = p.getByteArray(0, GUARD);
            byte[] hi = p.getByteArray(GUARD + bytes, GUARD);
            for (int i = 0; i < GUARD; i++) {
                if (lo[i] != guard) {
                    return "before the start";
                }
                if (hi[i] != guard) {
                    return "past the end";
                }
            }
            return null;
        }
    }

    /** A device on the emulator the build made (nrpm.emu.lib), or the test is skipped saying why not. */
    static EmulatedDevice forTest() {
        Path lib = System.getProperty("nrpm.emu.lib") == null ? null : Path.of(System.getProperty("nrpm.emu.lib"));
        String why = probe(lib);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, () -> "no emulator: " + why);
        return new EmulatedDevice(lib);
    }

    /** Why the emulator cannot run here, or null. */
    static String probe(Path lib) {
        if (lib == null) {
            return "system property nrpm.emu.lib is not set (run the tests through Maven)";
        }
        if (!Files.isRegularFile(lib)) {
            return lib + " was not built (kernels/emu/build.sh needs g++)";
        }
        return null;
    }

    EmulatedDevice(Path lib) {
        NativeLibrary nl = NativeLibrary.getInstance(lib.toAbsolutePath().toString());
        launch = nl.getFunction("emu_launch");
        lastError = nl.getFunction("emu_last_error");
    }

    @Override
    public String describe() {
        return "CPU emulation of the CUDA kernels (kernels/emu)";
    }

    /**
     * Small, so that with at least 64 reduction rows per slice the suite's small shapes still
     * split their weight gradients over 2 to 6 slices (the split-K path runs in the tests).
     */
    @Override
    public int multiprocessors() {
        return 4;
    }

    @Override
    public synchronized DevicePointer alloc(long bytes) {
        Alloc a = new Alloc(Math.max(bytes, 4));
        live.put(a, Boolean.TRUE);
        inUse += a.bytes;
        peak = Math.max(peak, inUse);
        return a;
    }

    @Override
    public synchronized void free(DevicePointer p) {
        Alloc a = (Alloc) p;
        if (live.remove(a) == null) {
            throw new IllegalStateException("emulated device: double free");
        }
        inUse -= a.bytes;
        Native.free(a.base);
    }

    @Override
    public void copyIn(DevicePointer dst, float[] src, int count) {
        ((Alloc) dst).data().write(0, src, 0, count);
    }

    @Override
    public void copyOut(DevicePointer src, float[] dst, int count) {
        ((Alloc) src).data().read(0, dst, 0, count);
    }

    @Override
    public void copy(DevicePointer src, DevicePointer dst, long bytes) {
        byte[] tmp = ((Alloc) src).data().getByteArray(0, Math.toIntExact(bytes));
        ((Alloc) dst).data().write(0, tmp, 0, tmp.length);
    }

    @Override
    public void fill32(DevicePointer dst, int bits, long count) {
        int[] words = new int[Math.toIntExact(count)];
        java.util.Arrays.fill(words, bits);
        ((Alloc) dst).data().write(0, words, 0, words.length);
    }

    @Override
    public synchronized void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        Memory params = new Memory(8L * Math.max(args.length, 1));
        Memory[] values = new Memory[args.length];
        for (int i = 0; i < args.length; i++) {
            values[i] = value(kernel, i, args[i]);
            params.setPointer(8L * i, values[i]);
        }
        int rc;
        try {
            rc = launch.invokeInt(new Object[] {kernel, gx, gy, gz, bx, by, bz, params});
        } finally {
            // params holds only the values' addresses: without the fence, compiled code may let the
            // collector free them (JNA's cleaner) while the kernel still reads its arguments, which
            // then come from freed memory (seen: a SIGSEGV at a misaligned address in nrpm_conv_fwd)
            Reference.reachabilityFence(values);
        }
        if (rc != 0) {
            throw new CudaError("kernel " + kernel, "emulator: " + lastError.invokeString(new Object[0], false), null);
        }
        for (Alloc a : live.keySet()) {
            String where = a.damagedGuard();
            if (where != null) {
                throw new CudaError("kernel " + kernel, "wrote " + where + " of a buffer of " + a.bytes + " bytes", null);
            }
        }
    }

    private static Memory value(String kernel, int i, Object a) {
        Memory m;
        if (a == null) {
            m = new Memory(8);
            m.setLong(0, 0);
        } else if (a instanceof Alloc) {
            m = new Memory(8);
            m.setLong(0, ((Alloc) a).base + GUARD);
        } else if (a instanceof Integer) {
            m = new Memory(4);
            m.setInt(0, (Integer) a);
        } else if (a instanceof Long) {
            m = new Memory(8);
            m.setLong(0, (Long) a);
        } else if (a instanceof Float) {
            m = new Memory(4);
            m.setFloat(0, (Float) a);
        } else if (a instanceof int[]) {
            int[] words = (int[]) a;
            m = new Memory(4L * Math.max(words.length, 1));
            m.write(0, words, 0, words.length);
        } else {
            throw new IllegalArgumentException("kernel " + kernel + " argument " + i + ": unsupported type " + a.getClass());
        }
        return m;
    }

    @Override
    public void synchronize() {
    }

    @Override
    public synchronized long bytesInUse() {
        return inUse;
    }

    @Override
    public synchronized long peakBytes() {
        return peak;
    }

    @Override
    public synchronized void resetPeak() {
        peak = inUse;
    }

    @Override
    public void close() {
    }
}

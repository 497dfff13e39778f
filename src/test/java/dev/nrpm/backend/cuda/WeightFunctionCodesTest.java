package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.matching.WeightFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The weight function travels to the GPU as WeightFunction.code(): the kernels' NRPM_WF_* constants
 * must be the same table, and a code outside it must stop the kernel rather than run some function.
 */
class WeightFunctionCodesTest {
    private static final Pattern DEFINE = Pattern.compile("#define NRPM_WF_(\\w+) (\\d+)");

    @Test
    void kernelConstantsAreTheJavaCodes() throws IOException {
        Path header = Path.of("kernels/common.cuh");
        Assumptions.assumeTrue(Files.isRegularFile(header), () -> header + " not found (run from the repository root)");
        Map<String, Integer> kernels = new TreeMap<>();
        Matcher m = DEFINE.matcher(Files.readString(header));
        while (m.find()) {
            kernels.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = new TreeMap<>();
        for (WeightFunction f : WeightFunction.values()) {
            java.put(f.name(), f.code());
        }
        assertEquals(java, kernels, "WeightFunction codes against kernels/common.cuh's NRPM_WF_* constants");
        assertEquals(java.size(), java.values().stream().distinct().count(), "codes are distinct");
    }

    @Test
    void unknownCodeTrapsInTheKernel() {
        EmulatedDevice device = EmulatedDevice.forTest();
        int batch = 2;
        int in = 3;
        int out = 2;
        DevicePointer x = device.alloc(4L * batch * in);
        DevicePointer w = device.alloc(4L * out * in);
        DevicePointer lambda = device.alloc(4);
        DevicePointer y = device.alloc(4L * batch * out);
        device.copyIn(x, new float[] {0.1f, 0.7f, 0.3f, 0.9f, 0.2f, 0.5f}, batch * in);
        device.copyIn(w, new float[] {0.4f, -0.6f, 0.8f, 0.3f, 0.2f, -0.1f}, out * in);
        device.copyIn(lambda, new float[] {0.5f}, 1);
        int unknown = 7;
        int[] params = {1, Float.floatToRawIntBits(1e-3f), unknown, Float.floatToRawIntBits(4f),
            Float.floatToRawIntBits(0.5f)};
        CudaError e = assertThrows(CudaError.class, () -> device.launch("nrpm_dense_fwd", 1, 1, 1, 256, 1, 1,
                params, batch, in, out, x, w, null, lambda, y, null));
        assertTrue(e.getMessage().contains("trap"), e.getMessage());
        // the same launch with a known code runs
        params[2] = WeightFunction.HUBER.code();
        device.launch("nrpm_dense_fwd", 1, 1, 1, 256, 1, 1, params, batch, in, out, x, w, null, lambda, y, null);
        for (DevicePointer p : new DevicePointer[] {x, w, lambda, y}) {
            device.free(p);
        }
    }
}

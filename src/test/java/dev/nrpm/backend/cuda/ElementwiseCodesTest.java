package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.UnaryOp;
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
 * Elementwise ops reach the GPU as UnaryOp.code() and BinaryOp.code(): kernels/elementwise.cu's
 * UNARY_* and BINARY_* constants must be the same tables, and another code must stop the kernel.
 */
class ElementwiseCodesTest {
    private static Map<String, Integer> defines(String text, String prefix) {
        Map<String, Integer> out = new TreeMap<>();
        Matcher m = Pattern.compile("#define " + prefix + "_(\\w+) (\\d+)").matcher(text);
        while (m.find()) {
            out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return out;
    }

    @Test
    void kernelConstantsAreTheJavaCodes() throws IOException {
        Path source = Path.of("kernels/elementwise.cu");
        Assumptions.assumeTrue(Files.isRegularFile(source), () -> source + " not found (run from the repository root)");
        String text = Files.readString(source);
        Map<String, Integer> unary = new TreeMap<>();
        for (UnaryOp op : UnaryOp.values()) {
            unary.put(op.name(), op.code());
        }
        Map<String, Integer> binary = new TreeMap<>();
        for (BinaryOp op : BinaryOp.values()) {
            binary.put(op.name(), op.code());
        }
        assertEquals(unary, defines(text, "UNARY"));
        assertEquals(binary, defines(text, "BINARY"));
        assertEquals(unary.size(), unary.values().stream().distinct().count());
        assertEquals(binary.size(), binary.values().stream().distinct().count());
    }

    @Test
    void unknownCodesTrap() {
        EmulatedDevice device = EmulatedDevice.forTest();
        long n = 5;
        DevicePointer x = device.alloc(4 * n);
        DevicePointer y = device.alloc(4 * n);
        device.copyIn(x, new float[] {0.5f, -1f, 2f, 3f, -0.25f}, (int) n);
        CudaError map = assertThrows(CudaError.class, () -> device.launch("map_unary", 1, 1, 1, 256, 1, 1,
                UnaryOp.values().length + 3, x, y, n));
        assertTrue(map.getMessage().contains("trap"), map.getMessage());
        CudaError zip = assertThrows(CudaError.class, () -> device.launch("zip_binary", 1, 1, 1, 256, 1, 1,
                -1, x, x, y, n));
        assertTrue(zip.getMessage().contains("trap"), zip.getMessage());
        device.launch("map_unary", 1, 1, 1, 256, 1, 1, UnaryOp.SQUARE.code(), x, y, n);
        float[] out = new float[(int) n];
        device.copyOut(y, out, (int) n);
        assertEquals(4f, out[2]);
        device.free(x);
        device.free(y);
    }
}

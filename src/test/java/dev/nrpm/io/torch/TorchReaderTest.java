package dev.nrpm.io.torch;

import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import static dev.nrpm.io.Fixtures.torch;
import static dev.nrpm.io.Fixtures.value;
import static dev.nrpm.io.Fixtures.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The generated fixtures (test-data/torch) read back with the values the generator wrote. */
class TorchReaderTest {

    @Test
    void zipStateDictWithAnyFolderNameKeepsOrderAndValues() {
        TorchCheckpoint ck = TorchReader.read(torch("zip_mlp.pth"));
        assertEquals(TorchCheckpoint.Format.ZIP, ck.format());
        assertEquals("ckpt_epoch3", ck.archiveName());
        Map<String, HostTensor> sd = ck.stateDict();
        assertSame(ck.root().getClass(), java.util.LinkedHashMap.class);
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc1.robust_sum.lmbd", "fc2.weight", "fc2.bias",
                "fc2.robust_sum.lmbd", "fc3.weight", "fc3.bias", "fc3.robust_sum.lmbd"), List.copyOf(sd.keySet()));
        HostTensor w1 = sd.get("fc1.weight");
        assertEquals(DType.FLOAT32, w1.dtype());
        assertArrayEquals(new int[] {4, 6}, w1.shape());
        assertArrayEquals(values(24, 1), w1.toFloatArray());
        assertArrayEquals(values(3, 12), sd.get("fc2.bias").toFloatArray());
        assertEquals(0.25, sd.get("fc2.robust_sum.lmbd").item());
        assertArrayEquals(new int[] {1}, sd.get("fc3.robust_sum.lmbd").shape());
    }

    @Test
    void nonContiguousViewsAreGatheredFromTheirStorage() {
        Map<?, ?> root = (Map<?, ?>) TorchReader.read(torch("zip_views.pth")).root();
        // transposed: t[i][j] = base[5 + i + 3 j], base[k] = value(k, 7)
        HostTensor t = (HostTensor) root.get("transposed");
        assertArrayEquals(new int[] {3, 4}, t.shape());
        float[] want = new float[12];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                want[i * 4 + j] = value(5 + i + 3 * j, 7);
            }
        }
        assertArrayEquals(want, t.toFloatArray());
        assertArrayEquals(new float[] {value(8, 7), value(11, 7)}, ((HostTensor) root.get("strided")).toFloatArray());
        HostTensor expanded = (HostTensor) root.get("expanded");
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, expanded.toFloatArray());
        HostTensor param = (HostTensor) root.get("param");
        assertArrayEquals(new int[] {2, 3}, param.shape());
        assertArrayEquals(values(6, 8), param.toFloatArray());
        HostTensor v3 = (HostTensor) root.get("untyped_v3");
        assertEquals(DType.FLOAT32, v3.dtype());
        assertArrayEquals(new float[] {0.5f, -1.5f, 2.25f, 8.0f}, v3.toFloatArray());
    }

    @Test
    void everyStorageTypeAndPlainPythonValue() {
        Map<?, ?> root = (Map<?, ?>) TorchReader.read(torch("zip_dtypes.pth")).root();
        HostTensor f64 = (HostTensor) root.get("f64");
        assertEquals(DType.FLOAT64, f64.dtype());
        assertArrayEquals(new double[] {0.1, -1e300, Double.MIN_VALUE, 1.0 / 3.0}, f64.toDoubleArray());
        assertArrayEquals(new long[] {(1L << 40) + 1, -7, Long.MAX_VALUE}, ((HostTensor) root.get("i64")).toLongArray());
        assertArrayEquals(new long[] {Integer.MIN_VALUE, 123456789}, ((HostTensor) root.get("i32")).toLongArray());
        assertArrayEquals(new long[] {-32768, 32767}, ((HostTensor) root.get("i16")).toLongArray());
        assertArrayEquals(new long[] {-128, 127}, ((HostTensor) root.get("i8")).toLongArray());
        assertArrayEquals(new long[] {0, 200}, ((HostTensor) root.get("u8")).toLongArray());
        assertEquals(DType.BOOL, ((HostTensor) root.get("bool")).dtype());
        assertArrayEquals(new long[] {1, 0, 1}, ((HostTensor) root.get("bool")).toLongArray());
        assertArrayEquals(new float[] {1.5f, -2.0f, 65504f, 0x1p-24f}, ((HostTensor) root.get("f16")).toFloatArray());
        assertArrayEquals(new float[] {1.0f, -0x1.8p127f},
                ((HostTensor) root.get("bf16")).toFloatArray());
        HostTensor scalar = (HostTensor) root.get("scalar");
        assertArrayEquals(new int[0], scalar.shape());
        assertArrayEquals(new long[] {42}, scalar.toLongArray());

        assertEquals(3L, root.get("epoch"));
        assertEquals(91.25, root.get("acc"));
        assertEquals("fixture", root.get("name"));
        assertEquals(List.of("a", "b"), root.get("tags"));
        assertEquals(List.of(2L, 3L), root.get("pair"));
        assertArrayEquals(new byte[] {0, 1, (byte) 0xff}, (byte[]) root.get("blob"));
        assertEquals(Set.of(1L, 2L), root.get("ids"));
        assertNull(root.get("nothing"));
        assertEquals(true, root.get("flag"));
        assertEquals(BigInteger.TWO.pow(70), root.get("big"));
        assertEquals(DType.FLOAT16, root.get("dtype"));
    }

    @Test
    void bigEndianArchiveIsSwappedElementByElement() {
        TorchCheckpoint ck = TorchReader.read(torch("zip_bigendian.pth"));
        Map<String, HostTensor> sd = ck.stateDict();
        assertArrayEquals(values(6, 4), sd.get("w").toFloatArray());
        float[] wt = sd.get("w_t").toFloatArray();
        assertArrayEquals(new float[] {value(0, 4), value(3, 4), value(1, 4), value(4, 4), value(2, 4), value(5, 4)}, wt);
        assertArrayEquals(new double[] {0.1, -2.5}, sd.get("f64").toDoubleArray());
        assertArrayEquals(new long[] {(1L << 40) + 1, -7}, sd.get("i64").toLongArray());
        assertArrayEquals(new long[] {-2, 300}, sd.get("i16").toLongArray());
        assertArrayEquals(new float[] {1.5f, -2.0f}, sd.get("f16").toFloatArray());
        assertArrayEquals(new long[] {0, 1}, sd.get("bool").toLongArray());
    }

    @Test
    void legacyFormatWithAViewStorage() {
        TorchCheckpoint ck = TorchReader.read(torch("legacy_lenet.pth"));
        assertEquals(TorchCheckpoint.Format.LEGACY, ck.format());
        assertNull(ck.archiveName());
        Map<String, HostTensor> sd = ck.stateDict();
        assertEquals(List.of("conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"), List.copyOf(sd.keySet()));
        assertArrayEquals(new int[] {2, 1, 3, 3}, sd.get("conv1.weight").shape());
        assertArrayEquals(values(18, 30), sd.get("conv1.weight").toFloatArray());
        assertArrayEquals(values(2, 31), sd.get("conv1.bias").toFloatArray());
        assertArrayEquals(values(24, 32), sd.get("fc1.weight").toFloatArray());
        // fc1.bias is a window at element 24 of fc1.weight's root storage
        assertArrayEquals(values(3, 33), sd.get("fc1.bias").toFloatArray());
    }

    @Test
    void trainingCheckpointFindsTheNetEntry() {
        TorchCheckpoint ck = TorchReader.read(torch("zip_dataparallel.t7"));
        Map<?, ?> root = (Map<?, ?>) ck.root();
        assertEquals(List.of("net", "acc", "epoch"), List.copyOf(root.keySet()));
        assertEquals(55.5, root.get("acc"));
        assertEquals(12L, root.get("epoch"));
        Map<String, HostTensor> sd = ck.stateDict();
        assertSame(sd.get("module.conv1.weight"), ((Map<?, ?>) root.get("net")).get("module.conv1.weight"));
        HostTensor nbt = sd.get("module.bn1.num_batches_tracked");
        assertEquals(DType.INT64, nbt.dtype());
        assertArrayEquals(new int[0], nbt.shape());
        assertEquals(937L, nbt.toLongArray()[0]);
    }
}

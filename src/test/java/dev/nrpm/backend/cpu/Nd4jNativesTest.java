package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend loads ND4J's oneDNN build where the CPU has AVX2 (and the plain build elsewhere),
 * whatever order the jars have on the class path: the choice is made before ND4J loads. Surefire's
 * fake-driver execution asks for the plain build (-Dnrpm.cpu.onednn=false), so both builds load and
 * compute in every full test run.
 */
class Nd4jNativesTest {
    @Test
    void oneDnnBuildLoadsWhereTheCpuHasAvx2() {
        TestBackends.require("cpu");
        assumeTrue(Nd4jNatives.cpuHasAvx2(), "this CPU has no AVX2: the plain build is the right one");
        assumeTrue(System.getProperty("nrpm.cpu.onednn") == null, "-Dnrpm.cpu.onednn was given");
        assertEquals(Nd4jNatives.ONEDNN, System.getProperty(Nd4jNatives.PLATFORM_EXTENSION));
        assertTrue(Nd4jNatives.oneDnnLoaded(), "ND4J loaded " + org.bytedeco.javacpp.Loader.getLoadedLibraries()
                .get("nd4jcpu") + ", not the oneDNN build");
    }

    @Test
    void plainBuildWhenAskedComputesTheSame() {
        assumeTrue("false".equals(System.getProperty("nrpm.cpu.onednn")),
                "only where -Dnrpm.cpu.onednn=false (surefire's fake-driver execution)");
        Backend cpu = TestBackends.require("cpu");
        assertEquals("", System.getProperty(Nd4jNatives.PLATFORM_EXTENSION));
        assertFalse(Nd4jNatives.oneDnnLoaded(), "ND4J loaded its oneDNN build although -Dnrpm.cpu.onednn=false");
        Backend ref = TestBackends.reference();
        TestRandom rnd = new TestRandom();
        ConvGeometry g = new ConvGeometry(2, 3, 9, 8, 5, 3, 3, 2, 1, 1, 1);
        float[] x = rnd.normal((int) g.inputSize(), 1);
        float[] w = rnd.normal((int) g.weightSize(), 1);
        float[] got = run(cpu, g, x, w);
        float[] want = run(ref, g, x, w);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), "conv2d output " + i + " " + rnd.tag());
        }
    }

    private static float[] run(Backend be, ConvGeometry g, float[] x, float[] w) {
        try (Buffer xb = be.upload(x); Buffer wb = be.upload(w); Buffer y = be.allocate(g.outputSize())) {
            be.conv2d(g, xb, wb, y);
            return be.download(y);
        }
    }
}

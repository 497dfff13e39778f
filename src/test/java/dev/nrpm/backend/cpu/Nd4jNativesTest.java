package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nrpm.testing.TestBackends;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend loads ND4J's oneDNN build where the CPU has AVX2 (and the plain build elsewhere),
 * whatever order the jars have on the class path: the choice is made before ND4J loads.
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
}

package dev.nrpm.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which of ND4J's native builds this JVM loads. The jar carries two: the plain linux-x86_64 build
 * (generic x86-64, im2col convolutions) and linux-x86_64-onednn-avx2 (libnd4j with oneDNN, whose
 * JIT-generated convolutions are 3x to 40x faster here: bench/RESULTS.md). JavaCPP picks one by
 * the system property org.bytedeco.javacpp.platform.extension, read once when ND4J first loads;
 * left unset it takes whichever jar comes first on the class path, and a jar that is missing is
 * skipped silently. So the choice is made here, explicitly, before any ND4J class loads: oneDNN
 * where the CPU has AVX2 and its jar is present, the plain build otherwise (a CPU without AVX2 would
 * die of an illegal instruction). -Dnrpm.cpu.onednn=false asks for the plain build; a value the
 * user gave the JavaCPP property wins over both.
 */
final class Nd4jNatives {
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    static final String ONEDNN = "-onednn-avx2";
    /** A file of the oneDNN build's jar: where it is on the class path, the build can load. */
    private static final String ONEDNN_RESOURCE =
            "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-onednn-avx2/libjnind4jcpu.so";

    private Nd4jNatives() {
    }

    /** Sets the JavaCPP property unless someone did; idempotent. Call before ND4J loads. */
    static synchronized void select() {
        if (System.getProperty(PLATFORM_EXTENSION) != null) {
            return;
        }
        System.setProperty(PLATFORM_EXTENSION, wantOneDnn() ? ONEDNN : "");
    }

    private static boolean wantOneDnn() {
        return !"false".equalsIgnoreCase(System.getProperty("nrpm.cpu.onednn", "true"))
                && cpuHasAvx2()
                && Nd4jNatives.class.getClassLoader().getResource(ONEDNN_RESOURCE) != null;
    }

    /** Linux's CPU flags list avx2 (ND4J's natives are linux-x86_64 only, so no other OS matters). */
    static boolean cpuHasAvx2() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" avx2 ");
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    /** After ND4J has loaded: whether its native library is the oneDNN build. */
    static boolean oneDnnLoaded() {
        try {
            Map<String, String> loaded = org.bytedeco.javacpp.Loader.getLoadedLibraries();
            String path = loaded.get("nd4jcpu");
            return path != null && path.contains("onednn");
        } catch (LinkageError e) {
            return false;
        }
    }
}

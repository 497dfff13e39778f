package dev.nrpm.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nrpm.data.CifarReader;
import dev.nrpm.data.MnistReader;
import dev.nrpm.data.Split;
import dev.nrpm.error.NrpmException;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.torch.TorchReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of every reader: any bytes give a result or a typed error,
 * never another exception or an OutOfMemoryError. The build fuzzes each reader in a JVM of its own
 * (pom.xml's fuzz-* executions set JAZZER_FUZZ=1; Jazzer fuzzes one test per JVM), starting from
 * the seeds in src/test/resources/dev/nrpm/fuzz/ReaderFuzzTestInputs/&lt;method&gt;/, for a fixed
 * campaign: nrpm.fuzzRuns inputs from libFuzzer seed nrpm.fuzzSeed (30000 from seed 1, about 15 s
 * each). A fixed campaign gives every machine the same verdict; a time budget let CI find a crash no
 * earlier run had met and refuse a change that had nothing to do with it. maxDuration below is only
 * a backstop. A crash is written to the inputs folder and fails the build: fix it and commit the
 * file, it then stays a regression test. A longer hunt, continuing from the corpus Jazzer keeps in
 * .cifuzz-corpus/:
 *
 * <pre>./mvnw -q test-compile surefire:test@fuzz-pytorch -Dnrpm.fuzzRuns=2000000 -Dnrpm.fuzzSeed=$RANDOM</pre>
 */
class ReaderFuzzTest {
    private static Path file(String name, byte[] data) {
        try {
            Path dir = Files.createTempDirectory("nrpm-fuzz");
            dir.toFile().deleteOnExit();
            Path f = Files.write(dir.resolve(name), data);
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the read; typed errors are the expected answer to bad bytes. Temporary files go at the end. */
    private static void read(Path f, Runnable body) {
        try {
            body.run();
        } catch (NrpmException expected) {
            // a typed error naming the problem: fine
        } finally {
            try {
                Files.deleteIfExists(f);
                Files.deleteIfExists(f.getParent());
            } catch (IOException ignored) {
                // a temporary folder
            }
        }
    }

    @FuzzTest(maxDuration = "10m")
    void safetensors(byte[] data) {
        Path f = file("model.safetensors", data);
        read(f, () -> {
            SafetensorsReader.read(f);
            ModelCheckpoint.read(f);
        });
    }

    @FuzzTest(maxDuration = "10m")
    void pytorch(byte[] data) {
        Path f = file("model.pth", data);
        read(f, () -> TorchReader.read(f, 16L << 20));
    }

    @FuzzTest(maxDuration = "10m")
    void mnistImages(byte[] data) {
        Path f = file(MnistReader.TEST_IMAGES, data);
        read(f, () -> MnistReader.read(f, f, "fuzz"));
    }

    @FuzzTest(maxDuration = "10m")
    void cifarBatch(byte[] data) {
        Path f = file("test_batch.bin", data);
        read(f, () -> CifarReader.readBatch(f, false));
    }

    @FuzzTest(maxDuration = "10m")
    void cifarArchive(byte[] data) {
        Path f = file(CifarReader.ARCHIVE, data);
        read(f, () -> CifarReader.readArchive(f, Split.TEST, false));
    }
}

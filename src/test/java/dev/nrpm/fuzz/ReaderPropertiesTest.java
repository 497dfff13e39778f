package dev.nrpm.fuzz;

import dev.nrpm.backend.Backends;
import dev.nrpm.data.CifarReader;
import dev.nrpm.data.MnistReader;
import dev.nrpm.data.Split;
import dev.nrpm.error.NrpmException;
import dev.nrpm.io.checkpoint.CheckpointWriter;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.io.safetensors.SafetensorsReader;
import dev.nrpm.io.torch.TorchReader;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every reader, given any bytes (valid files damaged at random: bytes flipped, ranges overwritten,
 * cut short, grown), returns a result or throws one of the engine's typed errors, whose message
 * names the file; never another exception (an index out of bounds, a NullPointerException, an
 * OutOfMemoryError). A failure prints the seed that rebuilds the damaged file.
 */
class ReaderPropertiesTest {
    private static Path dir;
    private static byte[] safetensors;

    @BeforeContainer
    static void fixtures() throws IOException {
        dir = Files.createTempDirectory("nrpm-reader-props");
        Module m = new ModelSpec("mlp", InputShape.MNIST, 10, new int[] {784, 8, 10}, 64, false)
                .build(new ParamInit(Backends.get("reference"), 3));
        Path ckpt = dir.resolve("mlp.safetensors");
        CheckpointWriter.of(m).architecture(ModelSpec.of("mlp", InputShape.MNIST).withWidths(new int[] {784, 8, 10})
                .toMap()).write(ckpt);
        safetensors = Files.readAllBytes(ckpt);
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A valid file damaged in one of four ways chosen by the seed. */
    static byte[] damage(byte[] valid, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = valid.clone();
        switch (r.nextInt(4)) {
            case 0 -> {                      // a few bytes flipped
                for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
                }
            }
            case 1 -> {                      // a range overwritten, often in the header
                int at = r.nextInt(Math.min(b.length, r.nextBoolean() ? 256 : b.length));
                for (int i = at, end = Math.min(b.length, at + 1 + r.nextInt(16)); i < end; i++) {
                    b[i] = (byte) r.nextInt(256);
                }
            }
            case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // cut short
            default -> {                     // grown: random bytes inserted
                int at = r.nextInt(b.length + 1);
                byte[] extra = new byte[1 + r.nextInt(64)];
                r.nextBytes(extra);
                byte[] g = new byte[b.length + extra.length];
                System.arraycopy(b, 0, g, 0, at);
                System.arraycopy(extra, 0, g, at, extra.length);
                System.arraycopy(b, at, g, at + extra.length, b.length - at);
                b = g;
            }
        }
        return b;
    }

    private static Path write(String name, byte[] bytes) {
        try {
            Path sub = Files.createDirectories(dir.resolve(Long.toHexString(System.nanoTime())));
            return Files.write(sub.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] fixture(String path) {
        try {
            return Files.readAllBytes(Path.of("test-data", path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the read; a typed error is fine, anything else fails the property. */
    private static boolean typedOrFine(Path file, Runnable read) {
        try {
            read.run();
            return true;
        } catch (NrpmException e) {
            if (!e.getMessage().contains(file.getFileName().toString()) && !e.getMessage().contains("mnist")
                    && !e.getMessage().contains("cifar")) {
                throw new AssertionError("the error does not name " + file.getFileName() + ": " + e.getMessage(), e);
            }
            return true;
        }
    }

    @Property(tries = 300)
    boolean safetensorsCheckpoints(@ForAll long seed) {
        Path f = write("model.safetensors", damage(safetensors, seed));
        return typedOrFine(f, () -> {
            SafetensorsReader.read(f);
            ModelCheckpoint.read(f);
        });
    }

    @Property(tries = 300)
    boolean pytorchCheckpoints(@ForAll long seed, @ForAll @IntRange(min = 0, max = 5) int which) {
        String[] names = {"zip_mlp.pth", "legacy_lenet.pth", "zip_views.pth", "zip_bigendian.pth", "zip_dtypes.pth",
            "zip_dataparallel.t7"};
        Path f = write(names[which], damage(fixture("torch/" + names[which]), seed));
        return typedOrFine(f, () -> TorchReader.read(f, 64L << 20));
    }

    @Property(tries = 150)
    boolean mnistIdxFiles(@ForAll long seed, @ForAll boolean damageImages, @ForAll boolean gzip) {
        String folder = gzip ? "mnist-gz/" : "mnist-raw/";
        String suffix = gzip ? ".gz" : "";
        byte[] images = fixture(folder + "t10k-images-idx3-ubyte" + suffix);
        byte[] labels = fixture(folder + "t10k-labels-idx1-ubyte" + suffix);
        Path sub = write("t10k-images-idx3-ubyte" + suffix, damageImages ? damage(images, seed) : images).getParent();
        Path l = sub.resolve("t10k-labels-idx1-ubyte" + suffix);
        try {
            Files.write(l, damageImages ? labels : damage(labels, seed));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return typedOrFine(damageImages ? sub.resolve("t10k-images-idx3-ubyte" + suffix) : l,
                () -> MnistReader.read(sub, Split.TEST, false));
    }

    @Property(tries = 150)
    boolean cifarBatchesAndArchives(@ForAll long seed, @ForAll boolean archive) {
        if (archive) {
            Path f = write(CifarReader.ARCHIVE, damage(fixture("cifar-archive/" + CifarReader.ARCHIVE), seed));
            return typedOrFine(f, () -> CifarReader.readArchive(f, Split.TEST, false));
        }
        Path f = write("test_batch.bin", damage(fixture("cifar/test_batch.bin"), seed));
        return typedOrFine(f, () -> CifarReader.readBatch(f, false));
    }
}

package dev.nrpm.data;

import com.sun.net.httpserver.HttpServer;
import dev.nrpm.error.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetsTest {
    private static final DataOptions OFFLINE = DataOptions.defaults().withDownload(false).withStrictSizes(false);

    @TempDir
    Path tmp;

    @Test
    void unknownNameListsTheValidOnes() {
        UnknownDatasetException e = assertThrows(UnknownDatasetException.class, () -> Datasets.open("imagenet", Split.TRAIN, OFFLINE));
        assertEquals("unknown dataset 'imagenet', expected one of mnist, cifar10, synth-mnist, synth-cifar", e.getMessage());
        assertTrue(e instanceof InvalidSettingException);
        assertThrows(UnknownDatasetException.class, () -> Datasets.imageShape("MNIST"));
    }

    @Test
    void opensFileDatasetsFromADataDir() {
        ImageDataset mnist = Datasets.open("mnist", Split.TEST, OFFLINE.withDataDir(Fixtures.ROOT.resolve("mnist-raw")));
        assertEquals(20, mnist.size());
        assertEquals("mnist-test", mnist.name());
        ImageDataset cifar = Datasets.open("cifar10", Split.TRAIN, OFFLINE.withDataDir(Fixtures.ROOT.resolve("cifar-archive")));
        assertEquals(11, cifar.size());
        assertArrayEquals(Datasets.imageShape("cifar10"), new int[]{cifar.channels(), cifar.height(), cifar.width()});
    }

    @Test
    void strictSizesAreTheDefault() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.open("mnist", Split.TEST,
                DataOptions.defaults().withDownload(false).withDataDir(Fixtures.ROOT.resolve("mnist-gz"))));
        assertTrue(e.getMessage().contains("10000"), e.getMessage());
    }

    @Test
    void offlineMissingFilesSayWhatToPutWhere() {
        Path dir = tmp.resolve("nowhere");
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> Datasets.open("mnist", Split.TRAIN, OFFLINE.withDataDir(dir)));
        assertEquals(List.of(MnistReader.TRAIN_IMAGES, MnistReader.TRAIN_LABELS), e.missingFiles());
        assertEquals(dir.toAbsolutePath(), e.directory());
        String[] lines = e.getMessage().split("\n");
        assertEquals(3, lines.length, e.getMessage());
        assertEquals("mnist: missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz in " + dir.toAbsolutePath(), lines[0]);
        assertEquals("  cause: downloading is turned off", lines[1]);
        assertTrue(lines[2].contains("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz"), lines[2]);
        assertTrue(lines[2].contains("into " + dir.toAbsolutePath()), lines[2]);
        assertTrue(lines[2].contains("--data-dir"), lines[2]);
        assertFalse(Files.exists(dir), "an offline open creates nothing");
    }

    @Test
    void cifarOfflineAsksForTheArchive() {
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> Datasets.open("cifar10", Split.TEST, OFFLINE.withDataDir(tmp)));
        assertEquals(List.of("cifar-10-binary.tar.gz"), e.missingFiles());
        assertTrue(e.getMessage().contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), e.getMessage());
    }

    /** A local server with the MNIST fixtures under /mnist/; counts requests per path. */
    private static HttpServer serveMnistFixtures(Map<String, Integer> hits) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/mnist/", ex -> {
            String file = ex.getRequestURI().getPath().substring("/mnist/".length());
            hits.merge(file, 1, Integer::sum);
            Path p = Fixtures.ROOT.resolve("mnist-gz").resolve(file);
            byte[] body = Files.isRegularFile(p) ? Files.readAllBytes(p) : new byte[0];
            ex.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    /** The test split's manifest pointing at the fixtures (and their checksums) on a local server. */
    private static List<RemoteFile> fixtureManifest(String base) {
        return List.of(
                RemoteFile.under(MnistReader.TEST_IMAGES, Downloader.md5(Fixtures.ROOT.resolve("mnist-gz/" + MnistReader.TEST_IMAGES)), base),
                RemoteFile.under(MnistReader.TEST_LABELS, Downloader.md5(Fixtures.ROOT.resolve("mnist-gz/" + MnistReader.TEST_LABELS)), base));
    }

    @Test
    void downloadsOnlyTheMissingFilesThenReadsThem() throws IOException {
        Map<String, Integer> hits = new java.util.concurrent.ConcurrentHashMap<>();
        HttpServer server = serveMnistFixtures(hits);
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/mnist/";
            Path dir = tmp.resolve("cache/mnist");
            // labels already there, unpacked: only the images are fetched
            Fixtures.write(dir.resolve("t10k-labels-idx1-ubyte"), Fixtures.idxLabels(0, 20));
            DataOptions options = OFFLINE.withDownload(true).withDataDir(dir);
            Datasets.ensure("mnist", dir, fixtureManifest(base), f -> MnistReader.locate(dir, f.fileName()) != null, options);
            assertEquals(Map.of(MnistReader.TEST_IMAGES, 1), hits);
            assertEquals(20, Datasets.open("mnist", Split.TEST, options.withDownload(false)).size());
            // everything present: no request at all
            Datasets.ensure("mnist", dir, fixtureManifest(base), f -> MnistReader.locate(dir, f.fileName()) != null, options);
            assertEquals(Map.of(MnistReader.TEST_IMAGES, 1), hits);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void mirrorsAreTriedFirst() throws IOException {
        Map<String, Integer> hits = new java.util.concurrent.ConcurrentHashMap<>();
        HttpServer server = serveMnistFixtures(hits);
        try {
            String port = String.valueOf(server.getAddress().getPort());
            URI mirror = URI.create("http://127.0.0.1:" + port + "/mnist");
            List<RemoteFile> manifest = fixtureManifest("http://127.0.0.1:" + port + "/elsewhere/");
            DataOptions options = OFFLINE.withDownload(true).withMirrors(List.of(mirror));
            Datasets.ensure("mnist", tmp, manifest, f -> MnistReader.locate(tmp, f.fileName()) != null, options);
            assertEquals(Map.of(MnistReader.TEST_IMAGES, 1, MnistReader.TEST_LABELS, 1), hits);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void failedDownloadGivesTheCauseOnOneLineAndWhereToPutTheFiles() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String base = "http://127.0.0.1:" + closedPort + "/mnist/";
        DataOptions options = OFFLINE.withDownload(true);
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class, () ->
                Datasets.ensure("mnist", tmp, fixtureManifest(base), f -> MnistReader.locate(tmp, f.fileName()) != null, options));
        String[] lines = e.getMessage().split("\n");
        assertEquals(3, lines.length, e.getMessage());
        assertEquals("mnist: missing t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz in " + tmp.toAbsolutePath(), lines[0]);
        assertTrue(lines[1].startsWith("  cause: download failed: t10k-images-idx3-ubyte.gz: " + base + "t10k-images-idx3-ubyte.gz: cannot connect"), lines[1]);
        assertTrue(lines[2].startsWith("  fix: download " + base + "t10k-images-idx3-ubyte.gz and " + base + "t10k-labels-idx1-ubyte.gz into " + tmp.toAbsolutePath()), lines[2]);
        assertTrue(e.getCause() instanceof DownloadException);
        assertEquals(List.of(MnistReader.TEST_IMAGES, MnistReader.TEST_LABELS), e.missingFiles());
    }

    @Test
    void syntheticSplitsUseDifferentSeedsAndConfigurableSizes() {
        DataOptions small = OFFLINE.withSynthSize(50);
        ImageDataset train = Datasets.open("synth-mnist", Split.TRAIN, small);
        ImageDataset test = Datasets.open("synth-mnist", Split.TEST, small);
        assertEquals("synth-mnist-train", train.name());
        assertEquals(50, train.size());
        assertFalse(java.util.Arrays.equals(train.image(0), test.image(0)));
        assertArrayEquals(train.image(7), Datasets.open("synth-mnist", Split.TRAIN, small).image(7));
        assertFalse(java.util.Arrays.equals(train.image(0),
                Datasets.open("synth-mnist", Split.TRAIN, small.withSynthSeed(5)).image(0)));
        ImageDataset cifar = Datasets.open("synth-cifar", Split.TEST, OFFLINE);
        assertEquals(Datasets.SYNTH_TEST_SIZE, cifar.size());
        assertArrayEquals(Datasets.imageShape("synth-cifar"), new int[]{cifar.channels(), cifar.height(), cifar.width()});
    }

    @Test
    void defaultDirectoryIsTheUserCache() {
        Path d = Datasets.defaultDirectory("cifar10");
        assertEquals(Paths.get("nrpm", "cifar10"), d.subpath(d.getNameCount() - 2, d.getNameCount()));
        assertTrue(d.isAbsolute());
        assertEquals(d, Datasets.directory("cifar10", DataOptions.defaults()));
        assertEquals(tmp, Datasets.directory("cifar10", DataOptions.defaults().withDataDir(tmp)));
    }
}

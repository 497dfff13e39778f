package dev.nrpm.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.nrpm.data.Fixtures.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The downloader against a local HTTP server on an ephemeral port: no real host is ever contacted. */
class DownloaderTest {
    static final byte[] CONTENT = "twenty bytes of data".getBytes(StandardCharsets.US_ASCII);
    static final String MD5 = md5(CONTENT);

    @TempDir
    Path tmp;

    private HttpServer server;
    private ExecutorService threads;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Downloader fast = new Downloader(Duration.ofSeconds(2), Duration.ofMillis(400));

    static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        threads = Executors.newCachedThreadPool();
        server.setExecutor(threads);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            if (path.startsWith("/good/")) {
                send(ex, 200, CONTENT);
            } else if (path.startsWith("/corrupt/")) {
                byte[] bad = CONTENT.clone();
                bad[5] ^= 1;
                send(ex, 200, bad);
            } else if (path.startsWith("/moved/")) {
                ex.getResponseHeaders().add("Location", "/good/" + path.substring("/moved/".length()));
                send(ex, 302, new byte[0]);
            } else if (path.startsWith("/stall/")) {
                // headers, a few bytes, then silence longer than the read timeout
                ex.sendResponseHeaders(200, CONTENT.length);
                OutputStream out = ex.getResponseBody();
                out.write(CONTENT, 0, 4);
                out.flush();
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
            } else {
                send(ex, 404, new byte[0]);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        threads.shutdownNow();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private int hitsOf(String path) {
        return hits.getOrDefault(path, new AtomicInteger()).get();
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }

    @Test
    void downloadsVerifiesAndRenames() throws IOException {
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/good/data.bin")), MD5);
        Path got = fast.fetch(f, tmp.resolve("cache/sub"));
        assertEquals(tmp.resolve("cache/sub/data.bin"), got);
        assertArrayEquals(CONTENT, Files.readAllBytes(got));
        assertEquals(MD5, Downloader.md5(got));
        try (Stream<Path> files = Files.list(got.getParent())) {
            assertEquals(1, files.count(), "only the final file remains");
        }
    }

    @Test
    void existingFileIsNotDownloadedAgain() throws IOException {
        Files.write(tmp.resolve("data.bin"), new byte[]{1, 2, 3});
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/good/data.bin")), MD5);
        assertEquals(tmp.resolve("data.bin"), fast.fetch(f, tmp));
        assertEquals(0, hitsOf("/good/data.bin"));
    }

    @Test
    void triesUrlsInOrderUntilOneServesTheRightFile() throws IOException {
        RemoteFile f = new RemoteFile("data.bin",
                List.of(url("/nothing/data.bin"), url("/corrupt/data.bin"), url("/good/data.bin"), url("/good/never.bin")), MD5);
        assertArrayEquals(CONTENT, Files.readAllBytes(fast.fetch(f, tmp)));
        assertEquals(1, hitsOf("/nothing/data.bin"));
        assertEquals(1, hitsOf("/corrupt/data.bin"));
        assertEquals(1, hitsOf("/good/data.bin"));
        assertEquals(0, hitsOf("/good/never.bin"));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void badChecksumDeletesTheDownloadAndFails() throws IOException {
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/corrupt/data.bin")), MD5);
        DownloadException e = assertThrows(DownloadException.class, () -> fast.fetch(f, tmp));
        assertMessage(e, "data.bin", url("/corrupt/data.bin") + ": md5 ", "expected " + MD5);
        assertFalse(Files.exists(tmp.resolve("data.bin")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void everyFailedUrlIsReportedOnOneLine() {
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/nothing/data.bin"), url("/corrupt/data.bin")), MD5);
        DownloadException e = assertThrows(DownloadException.class, () -> fast.fetch(f, tmp));
        assertMessage(e, "data.bin: " + url("/nothing/data.bin") + ": HTTP 404", "; " + url("/corrupt/data.bin") + ": md5");
    }

    @Test
    void followsRedirects() throws IOException {
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/moved/data.bin")), MD5);
        assertArrayEquals(CONTENT, Files.readAllBytes(fast.fetch(f, tmp)));
        assertEquals(1, hitsOf("/good/data.bin"));
    }

    @Test
    void stalledTransferTimesOut() throws IOException {
        RemoteFile f = new RemoteFile("data.bin", List.of(url("/stall/data.bin")), MD5);
        // the server stays silent for 3 s: a "read timeout" error is the 400 ms limit firing
        DownloadException e = assertThrows(DownloadException.class, () -> fast.fetch(f, tmp));
        assertMessage(e, "data.bin", "timed out", "read timeout");
        assertFalse(Files.exists(tmp.resolve("data.bin")));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void unreachableHostIsReported() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        RemoteFile f = new RemoteFile("data.bin", List.of(URI.create("http://127.0.0.1:" + closedPort + "/data.bin")), MD5);
        DownloadException e = assertThrows(DownloadException.class, () -> fast.fetch(f, tmp));
        assertMessage(e, "data.bin", "cannot connect");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void mirrorsComeFirstAndManifestEntriesAreChecked() {
        RemoteFile f = RemoteFile.under("x.gz", MD5.toUpperCase(), "https://example.org/data/");
        assertEquals(MD5, f.md5());
        assertEquals(List.of(URI.create("http://mirror.local/m/x.gz"), URI.create("https://example.org/data/x.gz")),
                f.withMirrors(List.of(URI.create("http://mirror.local/m"))).urls());
        assertThrows(dev.nrpm.error.InvalidSettingException.class, () -> new RemoteFile("../x", List.of(url("/x")), MD5));
        assertThrows(dev.nrpm.error.InvalidSettingException.class, () -> new RemoteFile("x", List.of(url("/x")), "abc"));
        assertThrows(dev.nrpm.error.InvalidSettingException.class, () -> new RemoteFile("x", List.of(), MD5));
    }
}

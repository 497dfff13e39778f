package dev.nrpm.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Downloads the files of a manifest into a cache directory, each from the first of its URLs
 * that serves the right content.
 *
 * <p>A download goes to a hidden temporary file in the target directory, is checked against its
 * MD5, and only then renamed into place atomically: an interrupted or corrupted download never
 * leaves a file under the real name, and a concurrent reader never sees half a file. A wrong
 * checksum deletes the temporary file and moves on to the next URL. Connections give up after
 * the connect timeout, and a transfer after the read timeout passes without data. Proxies are
 * taken from the standard Java properties (https.proxyHost, https.proxyPort, ...).
 */
public final class Downloader {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);
    private static final int MAX_REDIRECTS = 5;

    private final Duration connectTimeout;
    private final Duration readTimeout;

    /** A downloader with the default timeouts (connect 15 s, read 60 s). */
    public Downloader() {
        this(DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT);
    }

    /** A downloader giving up on a connection after connectTimeout, on a transfer after readTimeout without data. */
    public Downloader(Duration connectTimeout, Duration readTimeout) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    /**
     * The file in dir, downloaded first when it is not there. An existing file is trusted as it
     * is (its reader validates it); use {@link #md5(Path)} to check one explicitly.
     *
     * @throws DownloadException when no URL gives the file with the right MD5, or dir cannot be written
     */
    public Path fetch(RemoteFile file, Path dir) {
        Path target = dir.resolve(file.fileName());
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DownloadException(file.fileName() + ": cannot create the directory " + dir + " (" + dev.nrpm.error.IoErrors.describe(e) + ")", e);
        }
        List<String> failures = new ArrayList<>();
        IOException last = null;
        for (URI url : file.urls()) {
            try {
                download(file, url, target);
                return target;
            } catch (IOException e) {
                String reason = url + ": " + describe(e);
                LOG.warn("{}: {}", file.fileName(), reason);
                failures.add(reason);
                last = e;
            }
        }
        throw new DownloadException(file.fileName() + ": " + String.join("; ", failures), last);
    }

    /** A download whose content is not the expected file. */
    private static final class ChecksumMismatch extends IOException {
        ChecksumMismatch(String message) {
            super(message);
        }
    }

    /** Downloads url into a temporary file next to target, checks the MD5, renames it to target. */
    private void download(RemoteFile file, URI url, Path target) throws IOException {
        // not Files.createTempFile: its owner-only permissions would carry over to the dataset file
        Path part = target.resolveSibling("." + file.fileName() + "." + Long.toHexString(System.nanoTime()) + ".part");
        Files.newOutputStream(part, StandardOpenOption.CREATE_NEW).close();
        try {
            LOG.info("downloading {} from {}", file.fileName(), url);
            long started = System.nanoTime();
            String md5 = copy(url, part);
            if (!md5.equals(file.md5())) {
                throw new ChecksumMismatch("md5 " + md5 + ", expected " + file.md5() + " (a corrupted or different file; discarded)");
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
            LOG.info("saved {} ({} bytes, md5 ok) in {} s", target, Files.size(target),
                    String.format("%.1f", (System.nanoTime() - started) / 1e9));
        } finally {
            // after a successful move there is nothing left to delete; after a failure, no half file stays
            Files.deleteIfExists(part);
        }
    }

    /** Streams url into part, following redirects (also http to https), and returns the MD5 in hex. */
    private String copy(URI url, Path part) throws IOException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            URLConnection raw = current.toURL().openConnection();
            raw.setConnectTimeout((int) connectTimeout.toMillis());
            raw.setReadTimeout((int) readTimeout.toMillis());
            raw.setRequestProperty("User-Agent", "nrpm-engine");
            if (!(raw instanceof HttpURLConnection http)) {
                return save(raw, part, -1);   // file: URLs, for local mirrors
            }
            http.setInstanceFollowRedirects(false);   // manual: the JDK will not follow http -> https
            try {
                int status = http.getResponseCode();
                if (status / 100 == 3 && http.getHeaderField("Location") != null) {
                    current = current.resolve(http.getHeaderField("Location"));
                    continue;
                }
                if (status != HttpURLConnection.HTTP_OK) {
                    throw new IOException("HTTP " + status + (http.getResponseMessage() == null ? "" : " " + http.getResponseMessage()));
                }
                return save(http, part, http.getContentLengthLong());
            } finally {
                http.disconnect();
            }
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects");
    }

    private static String save(URLConnection connection, Path part, long expectedLength) throws IOException {
        MessageDigest md5 = newMd5();
        long received;
        try (InputStream in = new DigestInputStream(connection.getInputStream(), md5);
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.TRUNCATE_EXISTING)) {
            received = in.transferTo(out);
        }
        if (expectedLength >= 0 && received != expectedLength) {
            throw new IOException("connection closed after " + received + " of " + expectedLength + " bytes");
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    /** The MD5 of a file's content, in lower-case hex. */
    public static String md5(Path file) {
        MessageDigest md5 = newMd5();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md5)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new DatasetUnavailableException(file.getFileName() + ": cannot read " + file + " (" + dev.nrpm.error.IoErrors.describe(e) + ")",
                    file.toAbsolutePath().getParent(), List.of(), e);
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** One line for a failed attempt: what a person can act on, not the exception class chain. */
    private String describe(IOException e) {
        if (e instanceof ChecksumMismatch) {
            return e.getMessage();
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage() + " (offline, or DNS unavailable)";
        }
        if (e instanceof ConnectException) {
            return "cannot connect (" + e.getMessage() + ")";
        }
        if (e instanceof SocketTimeoutException) {
            return "timed out (" + e.getMessage() + "; connect timeout " + human(connectTimeout)
                    + ", read timeout " + human(readTimeout) + ")";
        }
        String m = e.getMessage() == null ? "" : e.getMessage().replace('\n', ' ');
        // plain IOExceptions carry their whole story (our "HTTP 404 Not Found"); others need their type
        return e.getClass() == IOException.class ? m : e.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m);
    }
}

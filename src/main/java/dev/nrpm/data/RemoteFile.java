package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One entry of a download manifest: the file name it is stored under, the URLs to try in order
 * (mirrors first, the original host last), and the MD5 of its content, which is how a download is
 * known to be complete and genuine whatever the URL served.
 */
public record RemoteFile(String fileName, List<URI> urls, String md5) {
    public RemoteFile {
        Objects.requireNonNull(fileName, "fileName");
        if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw new InvalidSettingException("remote file name must be a plain file name, got '" + fileName + "'");
        }
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new InvalidSettingException(fileName + ": no URL to download it from");
        }
        md5 = md5.toLowerCase(Locale.ROOT);
        if (!md5.matches("[0-9a-f]{32}")) {
            throw new InvalidSettingException(fileName + ": md5 must be 32 hex digits, got '" + md5 + "'");
        }
    }

    /** The file under each base URL (a folder, ending in '/'), in order. */
    public static RemoteFile under(String fileName, String md5, String... baseUrls) {
        List<URI> urls = new ArrayList<>();
        for (String base : baseUrls) {
            urls.add(URI.create(base).resolve(fileName));
        }
        return new RemoteFile(fileName, urls, md5);
    }

    /** This file with the same name under each mirror (a base URL) tried before the usual URLs. */
    public RemoteFile withMirrors(List<URI> mirrors) {
        List<URI> all = new ArrayList<>();
        for (URI mirror : mirrors) {
            String base = mirror.toString();
            all.add(URI.create(base.endsWith("/") ? base : base + "/").resolve(fileName));
        }
        all.addAll(urls);
        return new RemoteFile(fileName, all, md5);
    }
}

package dev.nrpm.io;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Creates java.io.tmpdir before a test class runs: the pom points it at target/tmp-fork-N (so
 * forks do not share temp files) but nothing creates that folder, and {@code @TempDir} then fails
 * with "Failed to create default temp directory".
 */
final class TempRoot implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }
}

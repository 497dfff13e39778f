package dev.nrpm.io.safetensors;

import dev.nrpm.io.HostTensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of a safetensors file: the string metadata of "__metadata__" and the tensors, both
 * in header order.
 */
public record SafetensorsContent(Path file, Map<String, String> metadata, Map<String, HostTensor> tensors) {
    public SafetensorsContent {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }
}

package dev.nrpm.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled kernels the jar carries: kernels/build.sh writes one fatbin per kernels/*.cu (SASS
 * for sm_80 and sm_90, PTX for later chips) and an index of their names under /kernels/.
 */
final class KernelImages {
    static final String INDEX = "/kernels/index.txt";

    private KernelImages() {
    }

    /** The images by file name, or an empty list when the build had no nvcc. */
    static List<byte[]> load() {
        List<byte[]> images = new ArrayList<>();
        for (String name : names()) {
            try (InputStream in = KernelImages.class.getResourceAsStream("/kernels/" + name)) {
                if (in == null) {
                    throw new CudaError("loading kernels", "/kernels/" + name + " is listed in " + INDEX
                            + " but missing from the class path", null);
                }
                images.add(in.readAllBytes());
            } catch (IOException e) {
                throw new CudaError("loading kernels", "cannot read /kernels/" + name + ": " + e.getMessage(), e);
            }
        }
        return images;
    }

    static List<String> names() {
        List<String> names = new ArrayList<>();
        try (InputStream in = KernelImages.class.getResourceAsStream(INDEX)) {
            if (in == null) {
                return names;
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    names.add(line.trim());
                }
            }
        } catch (IOException e) {
            throw new CudaError("loading kernels", "cannot read " + INDEX + ": " + e.getMessage(), e);
        }
        return names;
    }
}

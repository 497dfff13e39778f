package dev.nrpm.cli;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import picocli.CommandLine.Option;

/** --device: where the run computes. */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
            description = "Backend: auto (CUDA when a GPU is usable, else CPU), cpu, cuda. Default: ${DEFAULT-VALUE}.")
    String device;

    Backend backend() {
        return Backends.get(device);
    }
}

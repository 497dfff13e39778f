package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BackendProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the CUDA backend. The probe runs once and never throws: a missing driver, missing
 * JCuda natives, no GPU or a build without compiled kernels all come back as a one-line reason,
 * and "auto" then falls back to the CPU with that reason in its log line.
 */
public final class CudaProvider implements BackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(CudaProvider.class);

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 20;
    }

    @Override
    public String unavailableReason() {
        return JCudaDevice.probe();
    }

    @Override
    public Backend create() {
        JCudaDevice device = new JCudaDevice();
        LOG.info("cuda backend on {}", device.describe());
        return new CudaBackend(new CachingDevice(device), "cuda");
    }
}

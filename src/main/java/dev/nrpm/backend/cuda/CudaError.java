package dev.nrpm.backend.cuda;

import dev.nrpm.error.BackendException;

/** A failed CUDA call or kernel, named: which kernel (or driver call) and the driver's error. */
public final class CudaError extends BackendException {
    private final String what;

    public CudaError(String what, String detail, Throwable cause) {
        super("cuda: " + what + " failed: " + detail, cause);
        this.what = what;
    }

    /** The kernel entry point or driver call that failed. */
    public String what() {
        return what;
    }
}

package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Buffer;

/** float32 in device memory; released back to its device when its scope closes. */
final class CudaBuffer extends Buffer {
    private final Device device;
    private final DevicePointer pointer;

    CudaBuffer(Device device, long length) {
        super(length);
        this.device = device;
        this.pointer = device.alloc(4 * Math.max(length, 1));
    }

    DevicePointer pointer() {
        checkLive();
        return pointer;
    }

    Device device() {
        return device;
    }

    @Override
    protected void free() {
        device.free(pointer);
    }
}

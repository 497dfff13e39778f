package dev.nrpm.backend.cuda;

/** An allocation on a {@link Device}; only the device that made it knows what is inside. */
public interface DevicePointer {
}

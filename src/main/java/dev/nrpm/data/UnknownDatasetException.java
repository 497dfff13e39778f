package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

/** A dataset name that {@link Datasets} does not know; the message lists the valid names. */
public class UnknownDatasetException extends InvalidSettingException {
    public UnknownDatasetException(String message) {
        super(message);
    }
}

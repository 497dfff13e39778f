package dev.nrpm.error;

/** A layer or operation setting outside its domain (K < 0, eps <= 0, lambda outside [0, 1], ...). */
public class InvalidSettingException extends NrpmException {
    public InvalidSettingException(String message) {
        super(message);
    }
}

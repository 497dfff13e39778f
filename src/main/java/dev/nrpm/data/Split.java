package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

import java.util.Locale;

/** Which part of a dataset: the training set or the held-out test set. */
public enum Split {
    TRAIN,
    TEST;

    /** "train" or "test" (any case); anything else is an {@link InvalidSettingException}. */
    public static Split parse(String name) {
        for (Split s : values()) {
            if (s.name().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new InvalidSettingException("unknown split '" + name + "', expected train or test");
    }

    /** Lower-case name, as used on the command line and in dataset names. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package dev.nrpm.attack;

import dev.nrpm.error.InvalidSettingException;
import java.util.Locale;

/** Builds attacks by command-line name. */
public final class Attacks {
    public static final String[] NAMES = {"none", "fgsm", "pgd", "pgd-l2", "noise"};

    private Attacks() {
    }

    /**
     * @return the attack, or null for "none" (clean evaluation)
     */
    public static Attack create(String name, int steps, float stepSize, boolean randomStart) {
        switch (name.toLowerCase(Locale.ROOT).trim()) {
            case "none":
                return null;
            case "fgsm":
                return new Fgsm();
            case "pgd":
            case "pgd-linf":
                return new PgdLinf(steps, stepSize, randomStart);
            case "pgd-l2":
                return new PgdL2(steps, stepSize, randomStart);
            case "noise":
                return new GaussianNoise();
            default:
                throw new InvalidSettingException("unknown attack '" + name + "' (expected one of "
                        + String.join(", ", NAMES) + ")");
        }
    }
}

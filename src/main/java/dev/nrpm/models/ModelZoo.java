package dev.nrpm.models;

import dev.nrpm.error.InvalidSettingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The architectures this engine builds: adding one is a {@link ModelFamily} and a line here. */
public final class ModelZoo {
    private static final List<ModelFamily> FAMILIES = List.of(Mlp.FAMILY, LeNet.FAMILY, ResNet18.FAMILY);

    private ModelZoo() {
    }

    public static List<ModelFamily> families() {
        return FAMILIES;
    }

    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (ModelFamily f : FAMILIES) {
            out.add(f.name());
        }
        return out;
    }

    /** The family called name (any case), or an InvalidSettingException listing the zoo. */
    public static ModelFamily family(String name) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT).trim();
        for (ModelFamily f : FAMILIES) {
            if (f.name().equals(n)) {
                return f;
            }
        }
        throw new InvalidSettingException("unknown model '" + name + "' (expected one of " + String.join(", ", names()) + ")");
    }
}

package dev.nrpm.models;

import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.util.Map;

/**
 * One architecture of the zoo, in one place: its name on the command line and in checkpoints,
 * which of {@link ModelSpec}'s options it reads, the input it expects when nobody says, how its
 * options are checked, described and written into a checkpoint, and how it is built. Each model
 * class declares its own; the zoo's list is {@link ModelZoo}, and the CLI, import, checkpoints and
 * docs take it from there.
 */
public abstract class ModelFamily {
    private final String name;
    private final String summary;
    private final InputShape defaultInput;

    /**
     * @param name         the --model name ("mlp")
     * @param summary      one line for --help and the docs
     * @param defaultInput the input shape import assumes when --input is not given
     */
    protected ModelFamily(String name, String summary, InputShape defaultInput) {
        this.name = name;
        this.summary = summary;
        this.defaultInput = defaultInput;
    }

    public final String name() {
        return name;
    }

    public final String summary() {
        return summary;
    }

    public final InputShape defaultInput() {
        return defaultInput;
    }

    /**
     * Checks this family's options (an InvalidSettingException naming the bad one) and returns the
     * MLP layer widths with the default filled in; families without widths return them as given.
     * ModelSpec's constructor calls it, so every spec is complete and valid.
     */
    public int[] checkOptions(InputShape input, int classes, int[] widths, int width) {
        return widths;
    }

    /** A fresh model with weights drawn from init (its backend and seed). */
    public abstract Module build(ModelSpec spec, ParamInit init);

    /** "mlp 784-256-64-10", "resnet18 width 8": names the architecture in messages and reports. */
    public String describe(ModelSpec spec) {
        return name;
    }

    /** This family's options in a checkpoint's architecture block (beside model, input, classes). */
    public void putOptions(ModelSpec spec, Map<String, Object> out) {
    }

    @Override
    public String toString() {
        return name;
    }
}

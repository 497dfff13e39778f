package dev.nrpm.models;

import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.util.Map;

/**
 * One architecture of the zoo, in one place: its name on the command line and in checkpoints,
 * which of {@link ModelSpec}'s options it reads, the input it expects when nobody says, how its
 * options are checked, described and written into a checkpoint, and how it is built. The zoo's list
 * is {@link ModelZoo}; the CLI, import, checkpoints and docs take it from there.
 */
public interface ModelFamily {
    /** The --model name ("mlp"). */
    String name();

    /** One line for --help and the docs. */
    String summary();

    /** The input shape import assumes when --input is not given. */
    InputShape defaultInput();

    /**
     * The spec with this family's defaults filled in (MLP widths), or an InvalidSettingException
     * naming the bad option. Options the family does not read are passed through untouched.
     */
    ModelSpec checked(ModelSpec spec);

    /** A fresh model with weights drawn from init (its backend and seed). */
    Module build(ModelSpec spec, ParamInit init);

    /** "mlp 784-256-64-10", "resnet18 width 8": names the architecture in messages and reports. */
    String describe(ModelSpec spec);

    /** This family's options in a checkpoint's architecture block (beside model, input, classes). */
    void putOptions(ModelSpec spec, Map<String, Object> out);
}

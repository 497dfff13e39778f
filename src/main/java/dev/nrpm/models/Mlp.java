package dev.nrpm.models;

import java.util.Map;
import java.util.Arrays;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack of dense layers fc1..fcN over the flattened image; returns logits. By default there is
 * no activation between layers, as in the paper's MNIST model (784-256-64-10); relu adds one.
 */
public final class Mlp extends Module {
    /** The zoo's "mlp": --widths (default input-256-64-classes, the paper's MNIST model) and --relu. */
    public static final ModelFamily FAMILY = new ModelFamily("mlp",
            "dense layers fc1..fcN over the flattened image (--widths, --relu)",
            InputShape.MNIST) {
        @Override
        public int[] checkOptions(InputShape input, int classes, int[] widths, int width) {
            int[] w = widths == null ? new int[] {input.size(), 256, 64, classes} : widths;
            if (w.length < 2 || w[0] != input.size() || w[w.length - 1] != classes) {
                throw new InvalidSettingException("MLP widths " + Arrays.toString(w) + " must start with the input size "
                        + input.size() + " and end with the " + classes + " classes");
            }
            for (int v : w) {
                if (v < 1) {
                    throw new InvalidSettingException("MLP widths must be positive: " + Arrays.toString(w));
                }
            }
            return w;
        }

        @Override
        public Module build(ModelSpec s, ParamInit init) {
            return new Mlp(init, s.widths(), s.relu());
        }

        @Override
        public String describe(ModelSpec s) {
            StringBuilder sb = new StringBuilder("mlp ");
            for (int i = 0; i < s.widths().length; i++) {
                sb.append(i == 0 ? "" : "-").append(s.widths()[i]);
            }
            return sb.append(s.relu() ? " relu" : "").toString();
        }

        @Override
        public void putOptions(ModelSpec s, Map<String, Object> out) {
            List<Integer> w = new ArrayList<>();
            for (int v : s.widths()) {
                w.add(v);
            }
            out.put("widths", w);
            out.put("relu", s.relu());
        }
    };

    private final List<Dense> layers = new ArrayList<>();
    private final boolean relu;

    /** widths: input size first, classes last, e.g. {784, 256, 64, 10}. */
    public Mlp(ParamInit init, int[] widths, boolean relu) {
        if (widths.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output width");
        }
        this.relu = relu;
        for (int i = 0; i + 1 < widths.length; i++) {
            layers.add(addChild("fc" + (i + 1), new Dense(init, widths[i], widths[i + 1], true)));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = Ops.flatten(x);
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            if (relu && i + 1 < layers.size()) {
                h = Ops.relu(h);
            }
        }
        return h;
    }
}

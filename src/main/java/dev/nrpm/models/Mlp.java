package dev.nrpm.models;

import java.util.Map;
import java.util.Arrays;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Linear;
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
        public ModelSpec checked(ModelSpec s) {
            int[] widths = s.widths() == null ? new int[] {s.input().size(), 256, 64, s.classes()} : s.widths();
            if (widths.length < 2 || widths[0] != s.input().size() || widths[widths.length - 1] != s.classes()) {
                throw new InvalidSettingException("MLP widths " + Arrays.toString(widths) + " must start with the input size "
                        + s.input().size() + " and end with the " + s.classes() + " classes");
            }
            for (int w : widths) {
                if (w < 1) {
                    throw new InvalidSettingException("MLP widths must be positive: " + Arrays.toString(widths));
                }
            }
            return widths == s.widths() ? s : s.withWidths(widths);
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

    private final List<Linear> layers = new ArrayList<>();
    private final boolean relu;

    /** widths: input size first, classes last, e.g. {784, 256, 64, 10}. */
    public Mlp(ParamInit init, int[] widths, boolean relu) {
        if (widths.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output width");
        }
        this.relu = relu;
        for (int i = 0; i + 1 < widths.length; i++) {
            layers.add(addChild("fc" + (i + 1), new Linear(init, widths[i], widths[i + 1], true)));
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

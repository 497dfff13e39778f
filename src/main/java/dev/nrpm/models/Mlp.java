package dev.nrpm.models;

import dev.nrpm.nn.Linear;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.ops.F;
import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack of dense layers fc1..fcN over the flattened image; returns logits. By default there is
 * no activation between layers, as in the paper's MNIST model (784-256-64-10); relu adds one.
 */
public final class Mlp extends Module {
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
        Tensor h = F.flatten(x);
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            if (relu && i + 1 < layers.size()) {
                h = F.relu(h);
            }
        }
        return h;
    }
}

package dev.nrpm.models;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What to build: a model name from the zoo (mlp, lenet, resnet18), its size options, the input
 * shape and the number of classes. Written into checkpoints so a model can be rebuilt from one.
 *
 * @param widths MLP layer widths including input and output (null for the default 784-256-64-10
 *               adapted to the input); ignored by the other models
 * @param width  ResNet-18 base width (64 standard, 8 tiny); ignored by the other models
 * @param relu   MLP activations between layers
 */
public record ModelSpec(String name, InputShape input, int classes, int[] widths, int width, boolean relu)
        implements java.io.Serializable {
    public ModelSpec {
        name = ModelZoo.family(name).name();
        if (classes < 2) {
            throw new InvalidSettingException("a classifier needs at least 2 classes, got " + classes);
        }
        if (input == null) {
            throw new InvalidSettingException("model " + name + " needs an input shape");
        }
        widths = ModelZoo.family(name).checkOptions(input, classes, widths, width);
    }

    /** Which architecture of the zoo this is. */
    public ModelFamily family() {
        return ModelZoo.family(name);
    }

    public static ModelSpec of(String name, InputShape input) {
        return new ModelSpec(name, input, 10, null, 64, false);
    }

    /** A spec from options (the constructor fills in the family's defaults and checks them). */
    public static ModelSpec of(String name, InputShape input, int classes, int[] widths, int width, boolean relu) {
        return new ModelSpec(name, input, classes, widths, width, relu);
    }

    public ModelSpec withWidth(int w) {
        return new ModelSpec(name, input, classes, widths, w, relu);
    }

    public ModelSpec withWidths(int[] w) {
        return new ModelSpec(name, input, classes, w, width, relu);
    }

    public ModelSpec withRelu(boolean r) {
        return new ModelSpec(name, input, classes, widths, width, r);
    }

    /** Builds the model with fresh weights from init (its backend and seed). */
    public Module build(ParamInit init) {
        return family().build(this, init);
    }

    /** The spec as plain values, for a checkpoint's architecture block. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", name);
        m.put("input", List.of(input.channels(), input.height(), input.width()));
        m.put("classes", classes);
        family().putOptions(this, m);
        return m;
    }

    /** Reads {@link #toMap()}'s form back (numbers may arrive as any Number, lists as any List). */
    public static ModelSpec fromMap(Map<String, ?> m) {
        try {
            List<?> in = (List<?>) m.get("input");
            InputShape shape = new InputShape(num(in.get(0)), num(in.get(1)), num(in.get(2)));
            int[] widths = null;
            if (m.get("widths") instanceof List) {
                List<?> w = (List<?>) m.get("widths");
                widths = new int[w.size()];
                for (int i = 0; i < widths.length; i++) {
                    widths[i] = num(w.get(i));
                }
            }
            return of((String) m.get("model"), shape, num(m.get("classes")), widths,
                    m.containsKey("width") ? num(m.get("width")) : 64, Boolean.TRUE.equals(m.get("relu")));
        } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            throw new InvalidSettingException("malformed model description " + m);
        }
    }

    private static int num(Object o) {
        return ((Number) o).intValue();
    }

    /** A short human-readable description: "mlp 784-256-64-10", "resnet18 width 8". */
    public String describe() {
        return family().describe(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec && ((ModelSpec) o).describe().equals(describe())
                && ((ModelSpec) o).input.equals(input) && ((ModelSpec) o).classes == classes;
    }

    @Override
    public int hashCode() {
        return describe().hashCode();
    }
}

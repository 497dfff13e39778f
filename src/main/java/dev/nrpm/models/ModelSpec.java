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
    public static final String[] NAMES = {"mlp", "lenet", "resnet18"};

    public ModelSpec {
        name = name.toLowerCase(Locale.ROOT).trim();
        if (!Arrays.asList(NAMES).contains(name)) {
            throw new InvalidSettingException("unknown model '" + name + "' (expected one of "
                    + String.join(", ", NAMES) + ")");
        }
        if (classes < 2) {
            throw new InvalidSettingException("a classifier needs at least 2 classes, got " + classes);
        }
        if (name.equals("mlp")) {
            if (widths == null) {
                widths = new int[] {input.size(), 256, 64, classes};
            }
            if (widths.length < 2 || widths[0] != input.size() || widths[widths.length - 1] != classes) {
                throw new InvalidSettingException("MLP widths " + Arrays.toString(widths) + " must start with the input size "
                        + input.size() + " and end with the " + classes + " classes");
            }
            for (int w : widths) {
                if (w < 1) {
                    throw new InvalidSettingException("MLP widths must be positive: " + Arrays.toString(widths));
                }
            }
        }
        if (name.equals("resnet18") && width < 1) {
            throw new InvalidSettingException("ResNet-18 width must be >= 1, got " + width);
        }
    }

    public static ModelSpec of(String name, InputShape input) {
        return new ModelSpec(name, input, 10, null, 64, false);
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
        switch (name) {
            case "mlp":
                return new Mlp(init, widths, relu);
            case "lenet":
                return new LeNet(init, input, classes);
            default:
                return new ResNet18(init, input, width, classes);
        }
    }

    /** The spec as plain values, for a checkpoint's architecture block. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", name);
        m.put("input", List.of(input.channels(), input.height(), input.width()));
        m.put("classes", classes);
        if (name.equals("mlp")) {
            List<Integer> w = new ArrayList<>();
            for (int v : widths) {
                w.add(v);
            }
            m.put("widths", w);
            m.put("relu", relu);
        }
        if (name.equals("resnet18")) {
            m.put("width", width);
        }
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
            return new ModelSpec((String) m.get("model"), shape, num(m.get("classes")), widths,
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
        switch (name) {
            case "mlp": {
                StringBuilder sb = new StringBuilder("mlp ");
                for (int i = 0; i < widths.length; i++) {
                    sb.append(i == 0 ? "" : "-").append(widths[i]);
                }
                return sb.append(relu ? " relu" : "").toString();
            }
            case "lenet":
                return "lenet";
            default:
                return "resnet18 width " + width;
        }
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

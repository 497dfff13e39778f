package dev.nrpm.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.nrpm.error.InvalidSettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sweep's spec, a small JSON file: one model and data selection, the budgets, and a grid of
 * pattern-matching and attack settings whose every combination is one evaluation (a cell).
 *
 * <pre>
 * {"model": "mlp", "weights": "models/demo-mlp.safetensors", "data": "synth-mnist", "limit": 200,
 *  "budgets": [0, 0.05, 0.1],
 *  "grid": {"pm": ["lpm", "nrpm"], "lambda": [0.9, 0.5], "K": [1, 3], "attack": ["fgsm", "pgd"]}}
 * </pre>
 *
 * Top-level keys: model, width, widths, relu, weights, data, data_dir, offset, limit, batch, seed,
 * device, budgets, probes (default false), max_cells (default 100: a larger grid must say so), grid.
 * Grid keys (each a non-empty list): pm (lpm|nrpm, default nrpm), lambda, K, eps, weight, gamma,
 * delta, layers (glob lists like "layer*.conv*"), attack, norm, steps, queries, targets, restarts.
 * NRPM settings do not multiply the LPM cells. Unknown keys and empty lists are errors.
 */
final class SweepSpec {
    static final Set<String> TOP = Set.of("model", "width", "widths", "relu", "weights", "data", "data_dir", "offset",
            "limit", "batch", "seed", "device", "budgets", "probes", "max_cells", "grid");
    /** Grid axes in the order cells vary (the last fastest). */
    static final List<String> AXES = List.of("attack", "norm", "steps", "queries", "targets", "restarts", "pm",
            "layers", "weight", "gamma", "delta", "eps", "K", "lambda");
    static final Set<String> NRPM_AXES = Set.of("layers", "weight", "gamma", "delta", "eps", "K", "lambda");

    final Path file;
    final JsonObject top;
    final Map<String, List<JsonElement>> grid = new LinkedHashMap<>();

    private SweepSpec(Path file, JsonObject top) {
        this.file = file;
        this.top = top;
    }

    static SweepSpec read(Path file) {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file));
        } catch (IOException e) {
            throw new InvalidSettingException("sweep spec " + file + ": cannot read (" + e.getMessage() + ")");
        } catch (JsonParseException e) {
            throw new InvalidSettingException("sweep spec " + file + ": not valid JSON ("
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (!root.isJsonObject()) {
            throw new InvalidSettingException("sweep spec " + file + ": must be a JSON object");
        }
        SweepSpec s = new SweepSpec(file, root.getAsJsonObject());
        for (String k : s.top.keySet()) {
            if (!TOP.contains(k)) {
                throw new InvalidSettingException("sweep spec " + file + ": unknown key '" + k + "' (keys: "
                        + String.join(", ", new java.util.TreeSet<>(TOP)) + ")");
            }
        }
        for (String required : List.of("model", "weights", "data", "grid")) {
            if (!s.top.has(required)) {
                throw new InvalidSettingException("sweep spec " + file + ": '" + required + "' is missing");
            }
        }
        if (!s.top.get("grid").isJsonObject()) {
            throw new InvalidSettingException("sweep spec " + file + ": 'grid' must be an object of lists");
        }
        JsonObject g = s.top.getAsJsonObject("grid");
        for (String k : g.keySet()) {
            if (!AXES.contains(k)) {
                throw new InvalidSettingException("sweep spec " + file + ": unknown grid key '" + k + "' (axes: "
                        + String.join(", ", AXES) + ")");
            }
            JsonElement v = g.get(k);
            if (!v.isJsonArray() || v.getAsJsonArray().isEmpty()) {
                throw new InvalidSettingException("sweep spec " + file + ": grid '" + k + "' must be a non-empty list");
            }
        }
        for (String axis : AXES) {
            if (g.has(axis)) {
                List<JsonElement> values = new ArrayList<>();
                g.getAsJsonArray(axis).forEach(values::add);
                s.grid.put(axis, values);
            }
        }
        return s;
    }

    String string(String key, String dflt) {
        return top.has(key) ? top.get(key).getAsString() : dflt;
    }

    Integer integer(String key) {
        return top.has(key) ? top.get(key).getAsInt() : null;
    }

    /** Every cell: a value per axis present (an LPM cell has no NRPM axes), in a fixed order. */
    List<Map<String, JsonElement>> cells() {
        List<Map<String, JsonElement>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<JsonElement>> axis : grid.entrySet()) {
            List<Map<String, JsonElement>> next = new ArrayList<>();
            for (Map<String, JsonElement> cell : out) {
                boolean lpm = cell.containsKey("pm") && cell.get("pm").getAsString().equalsIgnoreCase("lpm");
                if (lpm && NRPM_AXES.contains(axis.getKey())) {
                    next.add(cell);
                    continue;
                }
                for (JsonElement v : axis.getValue()) {
                    Map<String, JsonElement> c = new LinkedHashMap<>(cell);
                    c.put(axis.getKey(), v);
                    next.add(c);
                }
            }
            out = next;
        }
        return out;
    }

    /** The budgets, numbers or fractions like "8/255". */
    double[] budgets() {
        if (!top.has("budgets")) {
            return new double[] {0};
        }
        JsonArray a = top.getAsJsonArray("budgets");
        if (a.isEmpty()) {
            throw new InvalidSettingException("sweep spec " + file + ": 'budgets' must not be empty");
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = new FractionConverter().convert(a.get(i).getAsString());
            } catch (RuntimeException e) {
                throw new InvalidSettingException("sweep spec " + file + ": budgets[" + i + "] " + e.getMessage());
            }
        }
        return out;
    }
}

package dev.nrpm.io.checkpoint;

import dev.nrpm.io.CheckpointException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.matching.WeightFunction;
import java.util.Locale;
import java.util.Set;

/**
 * A layer's {@link PatternMatching} as a JSON object, for the "pattern_matching" metadata of our
 * checkpoints: {"k", "eps", "function", "gamma", "delta", "lambda_mode", "lambda"}. Floats are
 * written by Float.toString, so they read back bit for bit.
 */
final class PatternMatchingJson {
    private static final Set<String> FIELDS = Set.of("k", "eps", "function", "gamma", "delta", "lambda_mode", "lambda");

    private PatternMatchingJson() {
    }

    static JsonObject toJson(PatternMatching pm) {
        NrpmSpec s = pm.spec();
        JsonObject o = new JsonObject();
        o.addProperty("k", s.k());
        o.add("eps", new JsonPrimitive(s.eps()));
        o.addProperty("function", s.function().name());
        o.add("gamma", new JsonPrimitive(s.gamma()));
        o.add("delta", new JsonPrimitive(s.delta()));
        o.addProperty("lambda_mode", pm.lambdaMode().name().toLowerCase(Locale.ROOT));
        o.add("lambda", new JsonPrimitive(pm.lambda()));
        return o;
    }

    /**
     * @throws IllegalArgumentException for a missing, unknown or ill-typed field
     * @throws InvalidSettingException for values outside a setting's domain
     */
    static PatternMatching fromJson(JsonElement e) {
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("a setting should be a JSON object, got " + e);
        }
        JsonObject o = e.getAsJsonObject();
        for (String key : o.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new IllegalArgumentException("unknown field " + CheckpointException.quote(key));
            }
        }
        WeightFunction fn;
        try {
            fn = WeightFunction.valueOf(string(o, "function").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("unknown weight function " + CheckpointException.quote(string(o, "function")));
        }
        LambdaMode mode;
        try {
            mode = LambdaMode.parse(string(o, "lambda_mode"));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(ex.getMessage());
        }
        NrpmSpec spec = new NrpmSpec(integer(o, "k"), number(o, "eps"), fn, number(o, "gamma"), number(o, "delta"));
        return new PatternMatching(spec, mode, number(o, "lambda"));
    }

    private static JsonPrimitive field(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || !e.isJsonPrimitive()) {
            throw new IllegalArgumentException("field " + CheckpointException.quote(name) + " is missing or not a value");
        }
        return e.getAsJsonPrimitive();
    }

    private static String string(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isString()) {
            throw new IllegalArgumentException("field " + CheckpointException.quote(name) + " should be a string");
        }
        return p.getAsString();
    }

    private static float number(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isNumber()) {
            throw new IllegalArgumentException("field " + CheckpointException.quote(name) + " should be a number");
        }
        return Float.parseFloat(p.getAsString());
    }

    private static int integer(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        try {
            return Integer.parseInt(p.getAsString());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("field " + CheckpointException.quote(name) + " should be an integer");
        }
    }
}

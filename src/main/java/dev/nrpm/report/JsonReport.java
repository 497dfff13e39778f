package dev.nrpm.report;

import dev.nrpm.io.AtomicFile;

import com.google.gson.stream.JsonWriter;
import dev.nrpm.eval.AttackBreakdown;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.Finding;
import dev.nrpm.eval.RobustnessCurve;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The evaluation as JSON, a contract that users' scripts read. With one curve it is flat:
 *
 * <pre>
 * {"model", "weights", "data", "n", "attack", "budgets": [..], "accuracy": [..], "correct": [..],
 *  "pm": {..}, "device", "seconds"}
 * </pre>
 *
 * With several curves the per-curve fields move into a list and nothing else changes:
 *
 * <pre>
 * {"model", "weights", "data", "n", "attack", "budgets": [..],
 *  "configurations": [{"label", "pm", "accuracy": [..], "correct": [..]}, ..], "device", "seconds"}
 * </pre>
 *
 * Evaluations that record attack details add, at the top level, "budget_kind" ("L-inf epsilon"),
 * "attack_settings" (name, norm, iterations, ...) and "seed", and per curve (beside "pm"):
 *
 * <pre>
 * "breakdown": [{"budget", "seed", "members": [..], "robust_after": [..], "accuracy_after": [..],
 *                "broken": [..], "seconds": [..], "outcome": ["robust" | "misclassified" | member, .. per sample]}, ..],
 * "findings": [{"code", "severity", "attack", "budget", "count", "of", "fraction", "message"}, ..],
 * "sample_indices": [..]   (each sample's index in its dataset file, the order of "outcome")
 * </pre>
 *
 * The original keys are always present (an unknown weights file is {@code null}). "accuracy" holds
 * fractions (correct / n), "budgets" and "accuracy" are written with full precision (the shortest
 * decimal that reads back as the same double) and without exponents, "n" and "correct" as integers.
 * Pretty-printed with two-space indents, numeric arrays on one line.
 */
public final class JsonReport {
    /** pm maps nest a level or two; deeper is a cycle or a mistake, not a setting. */
    private static final int MAX_DEPTH = 16;

    private JsonReport() {
    }

    public static String toJson(EvalReport report) {
        ReportChecks.require(report);
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            json.setHtmlSafe(false); // labels like "K<=3" stay readable, not "K\u003c\u003d3"
            json.setSerializeNulls(true); // the keys are the contract, also when a value is unknown
            json.beginObject();
            json.name("model").value(report.model());
            json.name("weights").value(report.weights());
            json.name("data").value(report.data());
            json.name("n").value(report.n());
            json.name("attack").value(report.attack());
            json.name("budgets").jsonValue(doubles(report.budgets()));
            if (report.budgetTitle() != null) {
                json.name("budget_kind").value(report.budgetTitle());
            }
            if (!report.attackInfo().isEmpty()) {
                json.name("attack_settings");
                pm(json, "attack", "attack_settings", report.attackInfo(), 0);
            }
            if (report.seed() != null) {
                json.name("seed").value(report.seed());
            }
            if (report.curves().size() == 1) {
                RobustnessCurve curve = report.curves().get(0);
                json.name("accuracy").jsonValue(doubles(curve.accuracies()));
                json.name("correct").jsonValue(longs(curve.correct()));
                json.name("pm");
                pm(json, curve.label(), "pm", curve.pm(), 0);
                details(json, curve);
            } else {
                json.name("configurations").beginArray();
                for (RobustnessCurve curve : report.curves()) {
                    json.beginObject();
                    json.name("label").value(curve.label());
                    json.name("pm");
                    pm(json, curve.label(), "pm", curve.pm(), 0);
                    json.name("accuracy").jsonValue(doubles(curve.accuracies()));
                    json.name("correct").jsonValue(longs(curve.correct()));
                    details(json, curve);
                    json.endObject();
                }
                json.endArray();
            }
            json.name("device").value(report.device());
            json.name("seconds").jsonValue(Decimals.exact(report.seconds()));
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a StringWriter cannot fail", e);
        }
        return text.append('\n').toString();
    }

    /** Writes {@link #toJson} to file atomically, creating parent directories. */
    public static void write(EvalReport report, Path file) {
        AtomicFile.writeString(file, toJson(report), ReportException.WRITING);
    }

    /** A curve's attack breakdown, findings and sample indices, where recorded. */
    private static void details(JsonWriter json, RobustnessCurve curve) throws IOException {
        if (!curve.breakdowns().isEmpty()) {
            json.name("breakdown").beginArray();
            for (AttackBreakdown bd : curve.breakdowns()) {
                json.beginObject();
                json.name("budget").jsonValue(Decimals.exact(bd.budget()));
                json.name("seed").value(bd.seed());
                json.name("members").beginArray();
                for (String m : bd.members()) {
                    json.value(m);
                }
                json.endArray();
                json.name("robust_after").jsonValue(longs(bd.robustAfter()));
                double[] after = new double[bd.robustAfter().length];
                for (int i = 0; i < after.length; i++) {
                    after[i] = curve.n() == 0 ? 0 : (double) bd.robustAfter()[i] / curve.n();
                }
                json.name("accuracy_after").jsonValue(doubles(after));
                json.name("broken").jsonValue(longs(bd.broken()));
                json.name("seconds").jsonValue(doubles(bd.seconds()));
                json.name("outcome").beginArray();
                for (int i = 0; i < bd.outcome().length; i++) {
                    json.value(bd.outcomeName(i));
                }
                json.endArray();
                json.endObject();
            }
            json.endArray();
        }
        if (!curve.findings().isEmpty()) {
            json.name("findings").beginArray();
            for (Finding f : curve.findings()) {
                json.beginObject();
                json.name("code").value(f.code());
                json.name("severity").value(f.severity().name().toLowerCase(java.util.Locale.ROOT));
                json.name("attack").value(f.attack());
                json.name("budget");
                if (Double.isNaN(f.budget())) {
                    json.nullValue();
                } else {
                    json.jsonValue(Decimals.exact(f.budget()));
                }
                json.name("count").value(f.count());
                json.name("of").value(f.of());
                json.name("fraction").jsonValue(Decimals.exact(f.fraction()));
                json.name("message").value(f.message());
                json.endObject();
            }
            json.endArray();
        }
        if (curve.sampleIds() != null && !curve.breakdowns().isEmpty()) {
            json.name("sample_indices").jsonValue(longs(curve.sampleIds()));
        }
    }

    /** A numeric array as one line of raw JSON: "[0.0, 0.03137254901960784, 0.1]". */
    private static String doubles(double[] values) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (double v : values) {
            j.add(Decimals.exact(v));
        }
        return j.toString();
    }

    private static String longs(long[] values) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (long v : values) {
            j.add(Long.toString(v));
        }
        return j.toString();
    }

    /**
     * A pm value as JSON: null, booleans, numbers, strings, enums (by name), maps, lists and
     * arrays. Anything else has no faithful JSON form and is refused, naming the key, rather than
     * written as whatever its toString() happens to be.
     */
    private static void pm(JsonWriter json, String label, String where, Object v, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ReportException("curve '" + label + "': " + where + " nests deeper than " + MAX_DEPTH
                    + " levels (a map or list that contains itself?)");
        }
        if (v == null) {
            json.nullValue();
        } else if (v instanceof Boolean b) {
            json.value(b);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new ReportException("curve '" + label + "': " + where + " = " + v + " has no JSON form (JSON has no NaN or infinity)");
            }
            json.jsonValue(v instanceof Float f ? Decimals.exact(f) : Decimals.exact(d));
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof AtomicInteger || v instanceof AtomicLong) {
            json.value(((Number) v).longValue());
        } else if (v instanceof BigInteger i) {
            json.jsonValue(i.toString());
        } else if (v instanceof BigDecimal d) {
            json.jsonValue(d.toPlainString());
        } else if (v instanceof CharSequence || v instanceof Character) {
            json.value(v.toString());
        } else if (v instanceof Enum<?> e) {
            json.value(e.name());
        } else if (v instanceof Map<?, ?> map) {
            json.beginObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof CharSequence || e.getKey() instanceof Number || e.getKey() instanceof Enum<?>)) {
                    throw new ReportException("curve '" + label + "': " + where + " has the key " + e.getKey()
                            + "; JSON object keys must be strings, numbers or enum names");
                }
                String key = e.getKey() instanceof Enum<?> en ? en.name() : e.getKey().toString();
                json.name(key);
                pm(json, label, where + "." + key, e.getValue(), depth + 1);
            }
            json.endObject();
        } else if (v instanceof Iterable<?> items) {
            json.beginArray();
            int i = 0;
            for (Object item : items) {
                pm(json, label, where + "[" + i++ + "]", item, depth + 1);
            }
            json.endArray();
        } else if (v.getClass().isArray()) {
            json.beginArray();
            for (int i = 0; i < Array.getLength(v); i++) {
                pm(json, label, where + "[" + i + "]", Array.get(v, i), depth + 1);
            }
            json.endArray();
        } else {
            throw new ReportException("curve '" + label + "': " + where + " is a " + v.getClass().getName()
                    + ", which has no JSON form; pm values must be numbers, strings, booleans, enums, lists or maps");
        }
    }
}

package dev.nrpm.report;

import dev.nrpm.eval.AttackBreakdown;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.io.HostTensor;
import dev.nrpm.io.safetensors.SafetensorsWriter;
import dev.nrpm.io.TensorData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An evaluation's adversarial examples as safetensors, for reuse (transfer, inspection, other
 * tools):
 * <ul>
 * <li>{@code labels} (n, int64), {@code indices} (n, int64: each sample's index in its dataset file);</li>
 * <li>per attacked budget i: {@code adversarial.i} (n, C, H, W, float32: the perturbed image, the clean
 *     one where no attack succeeded) and {@code outcome.i} (n, int64: -2 misclassified when clean, -1
 *     robust, else the index of the attack member that broke the sample);</li>
 * <li>metadata: the budgets (i -> value), the members in order, attack, model, data and seed.</li>
 * </ul>
 */
public final class AdversarialFile {
    private AdversarialFile() {
    }

    public static void write(Path file, EvalReport report, RobustnessCurve curve, int[] imageShape, int[] labels) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        int n = labels.length;
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = labels[i];
        }
        tensors.put("labels", HostTensor.ofLongs(l, n));
        if (curve.sampleIds() != null) {
            tensors.put("indices", HostTensor.ofLongs(curve.sampleIds(), n));
        }
        meta.put("attack", String.valueOf(report.attack()));
        meta.put("model", String.valueOf(report.model()));
        meta.put("data", String.valueOf(report.data()));
        meta.put("seed", String.valueOf(report.seed()));
        meta.put("configuration", curve.label());
        int i = 0;
        for (AttackBreakdown bd : curve.breakdowns()) {
            if (bd.adversarial() == null) {
                continue;
            }
            tensors.put("adversarial." + i, HostTensor.ofFloats(bd.adversarial(), n, imageShape[0], imageShape[1], imageShape[2]));
            long[] o = new long[n];
            for (int s = 0; s < n; s++) {
                o[s] = bd.outcome()[s];
            }
            tensors.put("outcome." + i, HostTensor.ofLongs(o, n));
            meta.put("budget." + i, Decimals.exact(bd.budget()));
            meta.put("members." + i, String.join(",", bd.members()));
            i++;
        }
        SafetensorsWriter.write(file, meta, tensors);
    }
}

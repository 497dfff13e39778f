package dev.nrpm.report;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Evaluation results for the report tests, and a look at what a directory holds. */
final class Evals {
    static final double[] BUDGETS = {0, 0.05, 0.1, 0.2, 0.3};

    private Evals() {
    }

    static RobustnessCurve curve(String label, double[] budgets, long n, long... correct) {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("mode", label);
        return new RobustnessCurve(label, budgets, correct, n, pm);
    }

    static EvalReport report(RobustnessCurve... curves) {
        return new EvalReport("lenet", "models/lenet.pt", "mnist", "pgd-linf", "cpu", 12.34, List.of(curves));
    }

    /** Two configurations over {@link #BUDGETS}, n = 1000. */
    static EvalReport twoCurves() {
        return report(curve("LPM", BUDGETS, 1000, 973, 901, 752, 300, 51),
                curve("NRPM K=3", BUDGETS, 1000, 970, 934, 880, 702, 403));
    }

    /** count curves over budgets, with accuracies that differ per curve and budget. */
    static EvalReport many(int count, int budgets, int labelLength) {
        double[] b = new double[budgets];
        for (int i = 0; i < budgets; i++) {
            b[i] = i / 255.0;
        }
        List<RobustnessCurve> curves = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            long[] correct = new long[budgets];
            for (int i = 0; i < budgets; i++) {
                correct[i] = Math.max(0, 10_000 - 37L * i * (c + 1) - 3L * c);
            }
            String label = ("config-" + c + "-").repeat(labelLength).substring(0, Math.max(1, labelLength));
            curves.add(curve(label + c, b, 10_000, correct));
        }
        return new EvalReport("resnet18", null, "cifar10", "pgd-linf", "cuda:0", 3600.5, curves);
    }

    /** File names in dir, sorted: temporary files left behind would show up here. */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

package dev.nrpm.eval;

import dev.nrpm.attack.AttackPlan;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.nn.Module;
import java.io.Serializable;
import java.util.Map;

/**
 * One evaluation as values that travel (Java serialization) to wherever it runs: {@link #prepare}
 * turns it into a ready model, dataset and attack the same way on the driver and on every executor
 * thread, so a distributed run computes what a local one does. The CLI builds it from its options
 * (cli.EvalSetup); the Spark runner needs only this.
 */
public interface EvaluationJob extends Serializable {
    /** The --device each task computes on (auto: a GPU where one is usable, else the CPU). */
    String device();

    /** A digest of everything that defines the evaluation: names the files of its finished shards. */
    String fingerprint();

    EvalOptions options();

    double[] budgets();

    /** Builds the model on the given backend, loads the weights, opens the data and the attack. */
    Prepared prepare(String device);

    /** The configured model on a backend, its data, attack and report labels. */
    record Prepared(Module model, Backend backend, ImageDataset data, AttackPlan plan, String label,
                    Map<String, Object> pm, String weightsSummary) {
    }
}

package dev.nrpm.eval;

import java.io.Serializable;
import java.util.List;

/**
 * What evaluating positions [from, to) of a dataset produced: the clean predictions and, per
 * attacked budget, each member's outcome for every sample. Shards of one evaluation merge into
 * exactly the whole run ({@link RobustnessEvaluator#merge}); they are serializable so that a
 * distributed runner can ship them back to its driver.
 */
public record EvaluationShard(int from, int to, int[] clean, long cleanNonFinite, List<AttackBreakdown> breakdowns)
        implements Serializable {

    public EvaluationShard {
        breakdowns = List.copyOf(breakdowns);
    }
}

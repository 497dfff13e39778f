package dev.nrpm.cli;

import dev.nrpm.attack.Attack;
import dev.nrpm.attack.Attacks;
import picocli.CommandLine.Option;

/** --attack, its budgets and PGD settings. */
final class AttackOptions {
    @Option(names = "--attack", defaultValue = "none", paramLabel = "none|fgsm|pgd|pgd-l2|noise",
            description = "Attack for the evaluation. Default: ${DEFAULT-VALUE}.")
    String attack;

    @Option(names = "--budgets", split = ",", defaultValue = "0", paramLabel = "B1,B2,...",
            description = "Attack budgets (L-inf or L2 epsilon, noise sigma). Default: ${DEFAULT-VALUE}.")
    double[] budgets;

    @Option(names = "--steps", defaultValue = "10", paramLabel = "N", description = "PGD steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--step-size", defaultValue = "0", paramLabel = "X",
            description = "PGD step size (0: 2.5 * budget / steps). Default: ${DEFAULT-VALUE}.")
    float stepSize;

    @Option(names = "--random-start", description = "PGD: start from a random point of the ball.")
    boolean randomStart;

    /** The attack (null for none) with every budget checked. */
    Attack create() {
        Attack a = Attacks.create(attack, steps, stepSize, randomStart);
        if (a != null) {
            for (double b : budgets) {
                a.checkBudget(b);
            }
        }
        return a;
    }

    String describe() {
        switch (attack.toLowerCase()) {
            case "pgd":
            case "pgd-l2":
                return attack + " (" + steps + " steps" + (randomStart ? ", random start" : "") + ")";
            default:
                return attack;
        }
    }
}

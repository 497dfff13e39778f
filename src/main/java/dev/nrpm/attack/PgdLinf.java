package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/**
 * Projected gradient descent in the L-inf ball (Madry et al.): optionally a uniform random start in
 * the ball, then {@code steps} signed-gradient steps of size {@code stepSize}, each projected back
 * into the ball and into [0, 1]. A stepSize of 0 means 2.5 * eps / steps.
 */
public final class PgdLinf implements Attack {
    private final int steps;
    private final float stepSize;
    private final boolean randomStart;

    public PgdLinf(int steps, float stepSize, boolean randomStart) {
        this.steps = Budgets.checkSteps(steps);
        this.stepSize = Budgets.checkStepSize(stepSize);
        this.randomStart = randomStart;
    }

    @Override
    public String name() {
        return "pgd";
    }

    @Override
    public BudgetKind budgetKind() {
        return BudgetKind.LINF;
    }

    @Override
    public Tensor perturb(Module model, Tensor x, Tensor labels, float budget, RandomDraws draws) {
        checkBudget(budget);
        Backend be = x.backend();
        long n = x.size();
        Tensor adv = Tensor.zeros(be, x.shape());
        if (budget == 0) {
            be.copy(x.buffer(), adv.buffer(), n);
            return adv;
        }
        if (randomStart) {
            draws.uniform(be, adv.buffer(), n, -budget, budget, 0);
            be.zip(BinaryOp.ADD, adv.buffer(), x.buffer(), adv.buffer(), n);
            Projections.clampToImage(be, adv.buffer(), n);
        } else {
            be.copy(x.buffer(), adv.buffer(), n);
        }
        float alpha = stepSize > 0 ? stepSize : 2.5f * budget / steps;
        try (Buffer g = be.allocate(n)) {
            for (int s = 0; s < steps; s++) {
                InputGradient.compute(model, adv, labels, g);
                be.map(UnaryOp.SIGN, g, g, n);
                be.axpby(alpha, g, 1f, adv.buffer(), n);
                Projections.projectLinf(be, adv.buffer(), x.buffer(), budget, n);
            }
        }
        return adv;
    }
}

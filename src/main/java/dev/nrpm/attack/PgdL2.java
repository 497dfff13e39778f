package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/**
 * Projected gradient descent in the L2 ball: each step moves every sample by stepSize along its
 * normalized gradient, then shrinks the perturbation back into the ball of radius eps and clips to
 * [0, 1]. The random start is a Gaussian direction scaled to a uniform radius in [0, eps].
 * A stepSize of 0 means 2.5 * eps / steps.
 */
public final class PgdL2 implements Attack {
    private final int steps;
    private final float stepSize;
    private final boolean randomStart;

    public PgdL2(int steps, float stepSize, boolean randomStart) {
        this.steps = Budgets.checkSteps(steps);
        this.stepSize = Budgets.checkStepSize(stepSize);
        this.randomStart = randomStart;
    }

    @Override
    public String name() {
        return "pgd-l2";
    }

    @Override
    public BudgetKind budgetKind() {
        return BudgetKind.L2;
    }

    @Override
    public Tensor perturb(Module model, Tensor x, Tensor labels, float budget, RandomDraws draws) {
        checkBudget(budget);
        Backend be = x.backend();
        long n = x.size();
        int batch = x.dim(0);
        int inner = (int) (n / batch);
        Tensor adv = Tensor.zeros(be, x.shape());
        be.copy(x.buffer(), adv.buffer(), n);
        if (budget == 0) {
            return adv;
        }
        float alpha = stepSize > 0 ? stepSize : 2.5f * budget / steps;
        try (Buffer delta = be.allocate(n); Buffer g = be.allocate(n)) {
            if (randomStart) {
                draws.normal(be, delta, n, 0f, 1f, 0);
                Projections.scaleToNorm(be, delta, batch, inner, 1f, Float.POSITIVE_INFINITY);
                try (Buffer radius = be.allocate(batch)) {
                    draws.uniform(be, radius, batch, 0f, budget, 1);
                    be.mulChannels(delta, radius, delta, 1, batch, inner);
                }
                be.zip(BinaryOp.ADD, x.buffer(), delta, adv.buffer(), n);
                Projections.clampToImage(be, adv.buffer(), n);
            }
            for (int s = 0; s < steps; s++) {
                InputGradient.compute(model, adv, labels, g);
                Projections.scaleToNorm(be, g, batch, inner, alpha, Float.POSITIVE_INFINITY);
                be.zip(BinaryOp.ADD, adv.buffer(), g, adv.buffer(), n);
                be.zip(BinaryOp.SUB, adv.buffer(), x.buffer(), delta, n);
                Projections.scaleToNorm(be, delta, batch, inner, budget, 1f);
                be.zip(BinaryOp.ADD, x.buffer(), delta, adv.buffer(), n);
                Projections.clampToImage(be, adv.buffer(), n);
            }
        }
        return adv;
    }
}

package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/** Fast gradient sign method: x + eps * sign(grad), clipped to [0, 1] (Goodfellow et al.). */
public final class Fgsm implements Attack {
    @Override
    public String name() {
        return "fgsm";
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
        be.copy(x.buffer(), adv.buffer(), n);
        if (budget == 0) {
            return adv;
        }
        try (Buffer g = be.allocate(n)) {
            InputGradient.compute(model, x, labels, g);
            be.map(UnaryOp.SIGN, g, g, n);
            be.axpby(budget, g, 1f, adv.buffer(), n);
        }
        Projections.clampToImage(be, adv.buffer(), n);
        return adv;
    }
}

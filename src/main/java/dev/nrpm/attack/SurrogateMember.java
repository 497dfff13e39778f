package dev.nrpm.attack;

import dev.nrpm.nn.Module;
import dev.nrpm.nn.Surrogate;
import java.util.function.Function;

/**
 * An attack guided by a surrogate's gradients and scored on the real model (adaptive attacks).
 * Where the model has no NRPM layer the surrogate would be the model itself, and the member
 * breaks nothing new: it is skipped.
 */
final class SurrogateMember implements BatchAttack {
    private final BatchAttack attack;
    private final String name;
    private final Function<Module, Surrogate> surrogate;

    SurrogateMember(BatchAttack attack, String name, Function<Module, Surrogate> surrogate) {
        this.attack = attack;
        this.name = name;
        this.surrogate = surrogate;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Result run(Classifier model, SampleBatch batch, double eps, long seed, GradientHealth health) {
        if (!(model instanceof ModelClassifier mc)) {
            throw new IllegalArgumentException(name + " needs a model to build its surrogate from");
        }
        Surrogate s = surrogate.apply(mc.module());
        if (!s.changesAnything()) {
            return new Result(batch.x().clone(), new boolean[batch.size()]);
        }
        return attack.run(mc.guidedBy(s), batch, eps, seed, health);
    }
}

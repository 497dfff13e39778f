package dev.nrpm.optim;

import dev.nrpm.error.InvalidSettingException;
import java.util.Locale;

/** The learning rate for each epoch (0-based) of a run of {@code epochs} epochs. */
@FunctionalInterface
public interface LrSchedule {
    float lr(float base, int epoch, int epochs);

    static LrSchedule constant() {
        return (base, epoch, epochs) -> base;
    }

    /** base * gamma^(epoch / every): the classic step decay. */
    static LrSchedule step(int every, float gamma) {
        if (every < 1 || !(gamma > 0)) {
            throw new InvalidSettingException("step schedule needs every >= 1 and gamma > 0, got " + every + ", " + gamma);
        }
        return (base, epoch, epochs) -> (float) (base * Math.pow(gamma, epoch / every));
    }

    /** Cosine annealing from base to 0 over the run. */
    static LrSchedule cosine() {
        return (base, epoch, epochs) -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * epoch / Math.max(1, epochs))));
    }

    /** constant, cosine, or step:EVERY:GAMMA (e.g. step:30:0.1). */
    static LrSchedule parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("constant")) {
            return constant();
        }
        if (s.equals("cosine")) {
            return cosine();
        }
        if (s.startsWith("step")) {
            String[] p = s.split(":");
            try {
                return step(p.length > 1 ? Integer.parseInt(p[1]) : 30, p.length > 2 ? Float.parseFloat(p[2]) : 0.1f);
            } catch (NumberFormatException e) {
                throw new InvalidSettingException("bad step schedule '" + spec + "' (expected step:EVERY:GAMMA)");
            }
        }
        throw new InvalidSettingException("unknown schedule '" + spec + "' (expected constant, cosine or step:EVERY:GAMMA)");
    }
}

package dev.nrpm.train;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.optim.LrSchedule;

/**
 * How to train: epochs, batch size, SGD settings and schedule, the run's seed (shuffling,
 * augmentation, dropout, attack randomness), and clean or adversarial batches.
 *
 * @param adversarial null for clean training
 */
public record TrainConfig(int epochs, int batchSize, float lr, float momentum, float weightDecay,
                          LrSchedule schedule, long seed, boolean augment, AdversarialSetting adversarial) {
    public TrainConfig {
        if (epochs < 1) {
            throw new InvalidSettingException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new InvalidSettingException("batch size must be >= 1, got " + batchSize);
        }
        if (schedule == null) {
            schedule = LrSchedule.constant();
        }
    }

    public static TrainConfig of(int epochs, int batchSize, float lr) {
        return new TrainConfig(epochs, batchSize, lr, 0.9f, 0f, LrSchedule.constant(), 0L, false, null);
    }

    public TrainConfig withAdversarial(AdversarialSetting a) {
        return new TrainConfig(epochs, batchSize, lr, momentum, weightDecay, schedule, seed, augment, a);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(epochs, batchSize, lr, momentum, weightDecay, schedule, s, augment, adversarial);
    }

    public TrainConfig withWeightDecay(float wd) {
        return new TrainConfig(epochs, batchSize, lr, momentum, wd, schedule, seed, augment, adversarial);
    }

    public TrainConfig withSchedule(LrSchedule s) {
        return new TrainConfig(epochs, batchSize, lr, momentum, weightDecay, s, seed, augment, adversarial);
    }

    public TrainConfig withAugment(boolean a) {
        return new TrainConfig(epochs, batchSize, lr, momentum, weightDecay, schedule, seed, a, adversarial);
    }
}

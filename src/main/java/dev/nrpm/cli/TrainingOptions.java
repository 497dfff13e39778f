package dev.nrpm.cli;

import dev.nrpm.attack.Attack;
import dev.nrpm.attack.Attacks;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.optim.LrSchedule;
import dev.nrpm.train.AdversarialSetting;
import dev.nrpm.train.TrainConfig;
import picocli.CommandLine.Option;

/** SGD, schedule, clean or adversarial batches, and which samples to train on. */
final class TrainingOptions {
    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.01", paramLabel = "X", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--momentum", defaultValue = "0.9", paramLabel = "X", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
    float momentum;

    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "X", description = "Weight decay. Default: ${DEFAULT-VALUE}.")
    float weightDecay;

    @Option(names = "--schedule", defaultValue = "constant", paramLabel = "constant|cosine|step:E:G",
            description = "Learning-rate schedule. Default: ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--train-batch", defaultValue = "64", paramLabel = "N", description = "Training batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--augment", description = "Random crop (4-pixel padding) and horizontal flip (for CIFAR-like data).")
    boolean augment;

    @Option(names = "--adversarial", defaultValue = "none", paramLabel = "none|fgsm|pgd|pgd-l2",
            description = "Adversarial training: train on attacked batches. Default: ${DEFAULT-VALUE}.")
    String adversarial;

    @Option(names = "--train-budget", defaultValue = "0.1", paramLabel = "X", converter = FractionConverter.class,
            description = "Budget of the training attack (8/255 style fractions are fine). Default: ${DEFAULT-VALUE}.")
    double trainBudget;

    @Option(names = "--train-steps", defaultValue = "7", paramLabel = "N", description = "PGD steps of the training attack. Default: ${DEFAULT-VALUE}.")
    int trainSteps;

    @Option(names = "--train-step-size", defaultValue = "0", paramLabel = "X", converter = FractionConverter.class,
            description = "Step of the training PGD attack (e.g. 2/255); 0 means 2.5 * budget / steps. Default: ${DEFAULT-VALUE}.")
    double trainStepSize;

    @Option(names = "--attack-in-train-mode",
            description = "Generate training attacks with the model in training mode, so their forwards also move"
                    + " batch-norm running statistics (default: evaluation mode, statistics untouched).")
    boolean attackInTrainMode;

    @Option(names = "--train-from", defaultValue = "train", paramLabel = "train|test",
            description = "Split to train on (real MNIST's training images may be absent: use test with"
                    + " --train-limit, and --offset past them for the evaluation). Default: ${DEFAULT-VALUE}.")
    String trainFrom;

    @Option(names = "--train-offset", defaultValue = "0", paramLabel = "N", description = "First training sample.")
    int trainOffset;

    @Option(names = "--train-limit", paramLabel = "N", description = "Number of training samples (default: all).")
    Integer trainLimit;

    TrainConfig config(long seed) {
        Attack a = Attacks.create(adversarial, trainSteps, (float) trainStepSize, true);
        AdversarialSetting adv = a == null ? null : new AdversarialSetting(a, (float) trainBudget, attackInTrainMode);
        return new TrainConfig(epochs, batch, lr, momentum, weightDecay, LrSchedule.parse(schedule), seed, augment, adv);
    }

    ImageDataset trainingSet(DataSelection data) {
        Split split = Split.parse(trainFrom);
        return DataSelection.slice(data.open(split), trainOffset, trainLimit, "--train-offset", "--train-limit");
    }

    String describe(ImageDataset set) {
        return set.size() + " samples of " + set.name() + (adversarial.equals("none") ? ", clean"
                : ", adversarial (" + adversarial + " at " + trainBudget + ")");
    }
}

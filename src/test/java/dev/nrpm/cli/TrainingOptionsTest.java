package dev.nrpm.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.attack.PgdLinf;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.train.TrainConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The adversarial-training options reach the training configuration. */
class TrainingOptionsTest {
    private static TrainConfig parse(String... args) {
        return CommandLine.populateCommand(new TrainingOptions(), args).config(1);
    }

    @Test
    void attacksRunInEvaluationModeUnlessAsked() {
        assertNull(parse().adversarial());
        TrainConfig plain = parse("--adversarial", "pgd", "--train-budget", "0.03");
        assertTrue(plain.adversarial().attack() instanceof PgdLinf);
        assertFalse(plain.adversarial().attackInTrainMode());
        assertTrue(parse("--adversarial", "pgd", "--attack-in-train-mode").adversarial().attackInTrainMode());
    }

    @Test
    void aBadStepSizeIsATypedError() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> parse("--adversarial", "pgd", "--train-step-size", "-0.1"));
        assertTrue(e.getMessage().contains("step size"), e.getMessage());
    }
}

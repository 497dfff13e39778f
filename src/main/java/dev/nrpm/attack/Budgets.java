package dev.nrpm.attack;

import dev.nrpm.error.InvalidSettingException;

/** Range checks for attack settings, with messages that name the attack and the value. */
final class Budgets {
    private Budgets() {
    }

    static void checkLinf(String attack, double budget) {
        if (!(budget >= 0 && budget <= 1)) {
            throw new InvalidSettingException("budget " + budget + " out of range for " + attack
                    + ": an L-inf budget on images in [0, 1] lies in [0, 1]");
        }
    }

    static void checkNonNegative(String attack, double budget) {
        if (!(budget >= 0) || !Double.isFinite(budget)) {
            throw new InvalidSettingException("budget " + budget + " out of range for " + attack + ": must be >= 0");
        }
    }

    static int checkSteps(int steps) {
        if (steps < 1) {
            throw new InvalidSettingException("attack steps must be >= 1, got " + steps);
        }
        return steps;
    }

    static float checkStepSize(float stepSize) {
        if (!(stepSize >= 0) || !Float.isFinite(stepSize)) {
            throw new InvalidSettingException("attack step size must be >= 0 (0 = automatic), got " + stepSize);
        }
        return stepSize;
    }
}

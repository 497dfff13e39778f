package dev.nrpm.backend;

/** Elementwise y = f(x). */
public enum UnaryOp {
    NEG, ABS, SIGN, RELU, SIGMOID, EXP, LOG, SQRT, SQUARE, RECIPROCAL
}

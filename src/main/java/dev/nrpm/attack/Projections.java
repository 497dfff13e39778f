package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.BinaryOp;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.UnaryOp;

/** Elementwise and per-sample steps the attacks share, written with backend primitives only. */
final class Projections {
    private Projections() {
    }

    /** x = clamp(x, 0, 1): images stay valid. */
    static void clampToImage(Backend be, Buffer x, long n) {
        be.affineClamp(x, 1f, 0f, 0f, 1f, x, n);
    }

    /** adv = clamp(adv, x0 - eps, x0 + eps), then clamp to [0, 1]. */
    static void projectLinf(Backend be, Buffer adv, Buffer x0, float eps, long n) {
        try (Buffer bound = be.allocate(n)) {
            be.affineClamp(x0, 1f, -eps, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, bound, n);
            be.zip(BinaryOp.MAX, adv, bound, adv, n);
            be.affineClamp(x0, 1f, eps, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, bound, n);
            be.zip(BinaryOp.MIN, adv, bound, adv, n);
        }
        clampToImage(be, adv, n);
    }

    /** norms (B) = the L2 norm of each sample of v (B, inner). */
    static void sampleNorms(Backend be, Buffer v, int batch, int inner, Buffer norms) {
        try (Buffer sq = be.allocate((long) batch * inner)) {
            be.map(UnaryOp.SQUARE, v, sq, (long) batch * inner);
            be.sumChannels(sq, norms, 1, batch, inner, false);
        }
        be.map(UnaryOp.SQRT, norms, norms, batch);
    }

    /**
     * Scales each sample of v (B, inner) by min(cap, target / ||v_b||) (cap = +inf: exactly to
     * norm target; cap = 1: only shrink into the ball of radius target). Zero samples stay zero.
     */
    static void scaleToNorm(Backend be, Buffer v, int batch, int inner, float target, float cap) {
        try (Buffer f = be.allocate(batch)) {
            sampleNorms(be, v, batch, inner, f);
            be.affineClamp(f, 1f, 1e-12f, 0f, Float.POSITIVE_INFINITY, f, batch);
            be.map(UnaryOp.RECIPROCAL, f, f, batch);
            be.affineClamp(f, target, 0f, 0f, cap, f, batch);
            be.mulChannels(v, f, v, 1, batch, inner);
        }
    }
}

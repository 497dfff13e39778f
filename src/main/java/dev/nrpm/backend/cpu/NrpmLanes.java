package dev.nrpm.backend.cpu;

import dev.nrpm.matching.NrpmSpec;

/**
 * The inner loops of the fused NRPM kernels, one per weight function, written so that C2 turns
 * them into SIMD code: every array is indexed by the loop counter alone, and conditionals are
 * replaced by min/max (which vectorize) instead of branches (which do not).
 *
 * <p>With a = |r| + eps, r = t - z/D:
 * L1 w = 1/a; HUBER w = min(1, delta/a); MCP w = max(eps, 1/a - 1/gamma);
 * HM w = clamp(c (gamma/a - 1), eps, 1), c = delta/(gamma - delta). dw/dr is zero where a clamp is
 * active; sign(0) = 0. "sgn" and "on" below are the branch-free sign and clamp indicators:
 * min(1, max(0, s * 1e30)) is exactly 0 or 1 except within 1e-30 of the switch point.
 */
final class NrpmLanes {
    private static final float BIG = 1e30f;

    private NrpmLanes() {
    }

    private static float sgn(float r) {
        return Math.max(-1f, Math.min(1f, r * BIG));
    }

    private static float on(float s) {
        return Math.min(1f, Math.max(0f, s * BIG));
    }

    // ------------------------------------------------------------------ forward, lanes = output units

    /**
     * One term index d of one reweighting step for n output lanes: t_j = wRow[j] * xd,
     * s0[j] += w(t_j - zd[j]), s1[j] += w * t_j.
     */
    static void term(NrpmSpec s, float[] wRow, float xd, float[] zd, float[] s0, float[] s1, int n) {
        float eps = s.eps();
        switch (s.function()) {
            case L1:
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float w = 1f / (Math.abs(t - zd[j]) + eps);
                    s0[j] += w;
                    s1[j] += w * t;
                }
                break;
            case HUBER: {
                float delta = s.delta();
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float w = Math.min(1f, delta / (Math.abs(t - zd[j]) + eps));
                    s0[j] += w;
                    s1[j] += w * t;
                }
                break;
            }
            case MCP: {
                float invGamma = 1f / s.gamma();
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float w = Math.max(eps, 1f / (Math.abs(t - zd[j]) + eps) - invGamma);
                    s0[j] += w;
                    s1[j] += w * t;
                }
                break;
            }
            case HM: {
                float gamma = s.gamma();
                float c = s.delta() / (s.gamma() - s.delta());
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float w = Math.min(1f, Math.max(eps, c * (gamma / (Math.abs(t - zd[j]) + eps) - 1f)));
                    s0[j] += w;
                    s1[j] += w * t;
                }
                break;
            }
            default:
                throw new AssertionError(s.function());
        }
    }

    /**
     * What the backward pass needs from the same terms: p[j] += t * dw/dr, q[j] += dw/dr.
     * A loop of its own rather than part of {@link #term}: with four accumulators in one loop C2
     * stops vectorizing (measured: 5 to 20 times slower), with two per loop it does.
     */
    static void termDerivatives(NrpmSpec s, float[] wRow, float xd, float[] zd, float[] p, float[] q, int n) {
        float eps = s.eps();
        switch (s.function()) {
            case L1:
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float r = t - zd[j];
                    float w = 1f / (Math.abs(r) + eps);
                    float dw = -sgn(r) * w * w;
                    p[j] += t * dw;
                    q[j] += dw;
                }
                break;
            case HUBER: {
                float delta = s.delta();
                float invDelta = 1f / delta;
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float r = t - zd[j];
                    float u = delta / (Math.abs(r) + eps);
                    float dw = -sgn(r) * u * u * invDelta * on(1f - u);
                    p[j] += t * dw;
                    q[j] += dw;
                }
                break;
            }
            case MCP: {
                float invGamma = 1f / s.gamma();
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float r = t - zd[j];
                    float inv = 1f / (Math.abs(r) + eps);
                    float dw = -sgn(r) * inv * inv * on(inv - invGamma - eps);
                    p[j] += t * dw;
                    q[j] += dw;
                }
                break;
            }
            case HM: {
                float gamma = s.gamma();
                float c = s.delta() / (s.gamma() - s.delta());
                float cOverGamma = c / gamma;
                for (int j = 0; j < n; j++) {
                    float t = wRow[j] * xd;
                    float r = t - zd[j];
                    float u = gamma / (Math.abs(r) + eps);
                    float v = c * (u - 1f);
                    float dw = -sgn(r) * cOverGamma * u * u * on(v - eps) * on(1f - v);
                    p[j] += t * dw;
                    q[j] += dw;
                }
                break;
            }
            default:
                throw new AssertionError(s.function());
        }
    }

    // ------------------------------------------------------------------ backward, lanes = terms

    /**
     * One reweighting step's contribution to the term gradients of one output, for n terms:
     * t_d = wRow[d] * xRow[d], gt[d] += c1 * w_d + c2 * (dTerms * t_d - zNext) * dw_d/dr,
     * where c1 = g D / S0 and c2 = g / S0 for the step's upstream gradient g.
     */
    static void termGrad(NrpmSpec s, float[] wRow, float[] xRow, float zd, float zNext, float c1, float c2,
                         float dTerms, float[] gt, int n) {
        float eps = s.eps();
        switch (s.function()) {
            case L1: {
                // c1 w + c2 (D t - zNext) w' = c1 (eps + sign(r) delta) w^2 exactly, delta = zNext/D - zd
                // (w = 1/a, w' = -sign(r) w^2, a = |r| + eps): as the GPU's nrpm_bwd_chunk<0>
                float ce = c1 * eps;
                float cd = c1 * (zNext / dTerms - zd);
                for (int d = 0; d < n; d++) {
                    float r = wRow[d] * xRow[d] - zd;
                    float w = 1f / (Math.abs(r) + eps);
                    gt[d] += w * w * (ce + sgn(r) * cd);
                }
                break;
            }
            case HUBER: {
                float delta = s.delta();
                float invDelta = 1f / delta;
                for (int d = 0; d < n; d++) {
                    float t = wRow[d] * xRow[d];
                    float r = t - zd;
                    float u = delta / (Math.abs(r) + eps);
                    float w = Math.min(1f, u);
                    float dw = -sgn(r) * u * u * invDelta * on(1f - u);
                    gt[d] += c1 * w + c2 * (dTerms * t - zNext) * dw;
                }
                break;
            }
            case MCP: {
                float invGamma = 1f / s.gamma();
                for (int d = 0; d < n; d++) {
                    float t = wRow[d] * xRow[d];
                    float r = t - zd;
                    float inv = 1f / (Math.abs(r) + eps);
                    float v = inv - invGamma;
                    float w = Math.max(eps, v);
                    float dw = -sgn(r) * inv * inv * on(v - eps);
                    gt[d] += c1 * w + c2 * (dTerms * t - zNext) * dw;
                }
                break;
            }
            case HM: {
                float gamma = s.gamma();
                float c = s.delta() / (s.gamma() - s.delta());
                float cOverGamma = c / gamma;
                for (int d = 0; d < n; d++) {
                    float t = wRow[d] * xRow[d];
                    float r = t - zd;
                    float u = gamma / (Math.abs(r) + eps);
                    float v = c * (u - 1f);
                    float w = Math.min(1f, Math.max(eps, v));
                    float dw = -sgn(r) * cOverGamma * u * u * on(v - eps) * on(1f - v);
                    gt[d] += c1 * w + c2 * (dTerms * t - zNext) * dw;
                }
                break;
            }
            default:
                throw new AssertionError(s.function());
        }
    }

    // ------------------------------------------------------------------ backward, lanes = outputs

    /**
     * {@link #termGrad} with lanes over n outputs that share one term index (a conv channel's
     * pixels): t_j = xLane[j] * wd, gt[j] += c1[j] w_j + c2[j] (dTerms t_j - zNext[j]) dw_j/dr;
     * for L1, c1 holds c1 eps and c2 holds c1 delta (the L1 form of termGrad).
     */
    static void termGradLanes(NrpmSpec s, float[] xLane, float wd, float[] zd, float[] zNext, float[] c1,
                              float[] c2, float dTerms, float[] gt, int n) {
        float eps = s.eps();
        switch (s.function()) {
            case L1:
                for (int j = 0; j < n; j++) {
                    float r = xLane[j] * wd - zd[j];
                    float w = 1f / (Math.abs(r) + eps);
                    gt[j] += w * w * (c1[j] + sgn(r) * c2[j]);
                }
                break;
            case HUBER: {
                float delta = s.delta();
                float invDelta = 1f / delta;
                for (int j = 0; j < n; j++) {
                    float t = xLane[j] * wd;
                    float r = t - zd[j];
                    float u = delta / (Math.abs(r) + eps);
                    float w = Math.min(1f, u);
                    float dw = -sgn(r) * u * u * invDelta * on(1f - u);
                    gt[j] += c1[j] * w + c2[j] * (dTerms * t - zNext[j]) * dw;
                }
                break;
            }
            case MCP: {
                float invGamma = 1f / s.gamma();
                for (int j = 0; j < n; j++) {
                    float t = xLane[j] * wd;
                    float r = t - zd[j];
                    float inv = 1f / (Math.abs(r) + eps);
                    float v = inv - invGamma;
                    float w = Math.max(eps, v);
                    float dw = -sgn(r) * inv * inv * on(v - eps);
                    gt[j] += c1[j] * w + c2[j] * (dTerms * t - zNext[j]) * dw;
                }
                break;
            }
            case HM: {
                float gamma = s.gamma();
                float c = s.delta() / (s.gamma() - s.delta());
                float cOverGamma = c / gamma;
                for (int j = 0; j < n; j++) {
                    float t = xLane[j] * wd;
                    float r = t - zd[j];
                    float u = gamma / (Math.abs(r) + eps);
                    float v = c * (u - 1f);
                    float w = Math.min(1f, Math.max(eps, v));
                    float dw = -sgn(r) * cOverGamma * u * u * on(v - eps) * on(1f - v);
                    gt[j] += c1[j] * w + c2[j] * (dTerms * t - zNext[j]) * dw;
                }
                break;
            }
            default:
                throw new AssertionError(s.function());
        }
    }

    // ------------------------------------------------------------------ scalar, for terms equal to zero

    /** w(r) for one residual (used once per lane for all the zero terms of a row). */
    static float weight(NrpmSpec s, float r) {
        float a = Math.abs(r) + s.eps();
        switch (s.function()) {
            case L1:
                return 1f / a;
            case HUBER:
                return Math.min(1f, s.delta() / a);
            case MCP:
                return Math.max(s.eps(), 1f / a - 1f / s.gamma());
            case HM:
                return Math.min(1f, Math.max(s.eps(), s.delta() / (s.gamma() - s.delta()) * (s.gamma() / a - 1f)));
            default:
                throw new AssertionError(s.function());
        }
    }

    /** dw/dr for one residual, same conventions as the lane loops. */
    static float derivative(NrpmSpec s, float r) {
        float a = Math.abs(r) + s.eps();
        float sg = Math.signum(r);
        switch (s.function()) {
            case L1:
                return -sg / (a * a);
            case HUBER: {
                float u = s.delta() / a;
                return u < 1f ? -sg * u * u / s.delta() : 0f;
            }
            case MCP: {
                float inv = 1f / a;
                return inv - 1f / s.gamma() > s.eps() ? -sg * inv * inv : 0f;
            }
            case HM: {
                float c = s.delta() / (s.gamma() - s.delta());
                float u = s.gamma() / a;
                float v = c * (u - 1f);
                return v > s.eps() && v < 1f ? -sg * c / s.gamma() * u * u : 0f;
            }
            default:
                throw new AssertionError(s.function());
        }
    }
}

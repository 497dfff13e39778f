package dev.nrpm.backend.cpu;

import dev.nrpm.matching.NrpmSpec;

/**
 * The backward pass of one NRPM output (NRPM.md section 4), from the state its forward pass kept:
 * first the gradient of every z(k) from the stored A(k) (O(K) scalars), then the gradient of each
 * term, recomputing the weights of all K steps from z(k) and S0(k) instead of storing them.
 */
final class NrpmOutputGrad {
    private NrpmOutputGrad() {
    }

    /**
     * Fills gz[0..K] with dL/dz(k) for the output at idx given g = dL/dy, and returns the total
     * gradient reaching z0 = z(0) (lambda g from the mix plus what flows back through the steps).
     */
    static float chain(NrpmSpec spec, float[] state, int idx, int planeSize, int dTerms, float lambda, float g,
                       float[] gz) {
        int k = spec.k();
        if (k == 0) {
            return g;                  // y = z0 + b: lambda has no effect
        }
        gz[k] = (1f - lambda) * g;
        float back = -1f / dTerms;     // dz(k+1)/dz(k) = -A(k)/D
        for (int step = k - 1; step >= 0; step--) {
            gz[step] = gz[step + 1] * state[(2 * k + 1 + step) * planeSize + idx] * back;
        }
        return lambda * g + gz[0];
    }

    /**
     * gt[0, n) = the gradient of each of the output's terms: gz0, the total gradient of z(0) =
     * sum(t) (so the LPM sum needs no backward of its own), plus what each step sends to it.
     */
    static void terms(NrpmSpec spec, float[] state, int idx, int planeSize, int dTerms, float gz0, float[] gz,
                      float[] wRow, float[] xRow, float[] gt, int n) {
        java.util.Arrays.fill(gt, 0, n, gz0);
        int k = spec.k();
        for (int step = 0; step < k; step++) {
            float g = gz[step + 1];
            if (g == 0f) {
                continue;
            }
            float z = state[step * planeSize + idx];
            float zNext = state[(step + 1) * planeSize + idx];
            float s0 = state[(k + 1 + step) * planeSize + idx];
            NrpmLanes.termGrad(spec, wRow, xRow, z / dTerms, zNext, g * dTerms / s0, g / s0, dTerms, gt, n);
        }
    }
}

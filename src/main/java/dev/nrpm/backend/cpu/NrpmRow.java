package dev.nrpm.backend.cpu;

import dev.nrpm.matching.NrpmSpec;

/**
 * The K reweighting steps for one "row" of outputs that share their input terms: a dense input row
 * (lanes = all O output units), one conv output pixel (lanes = all output channels, terms = the
 * pixel's patch) or one conv output channel of one image (lanes = its pixels, the lane values the
 * image's patches and the scalars the channel's weights). Scratch arrays of one float per lane,
 * reused across rows by one thread; nothing of size O x D is ever made.
 *
 * <p>Terms whose input is exactly zero (black pixels, zero padding) all have t = 0 and hence the
 * same weight per lane: they are added in one step per lane instead of one per term, which is
 * exact up to summation order and makes sparse inputs cheap.
 */
final class NrpmRow {
    private final NrpmSpec spec;
    private final int lanes;
    private final float[] z;
    private final float[] zd;
    private final float[] s0;
    private final float[] s1;
    private final float[] p;
    private final float[] q;

    NrpmRow(NrpmSpec spec, int lanes) {
        this.spec = spec;
        this.lanes = lanes;
        this.z = new float[lanes];
        this.zd = new float[lanes];
        this.s0 = new float[lanes];
        this.s1 = new float[lanes];
        this.p = new float[lanes];
        this.q = new float[lanes];
    }

    /**
     * Runs the K steps for one row.
     *
     * @param wT      per term d, one factor of t for every lane: the weights transposed (wT[d] = the
     *                d-th term's weight of every output), or, for pixel lanes, the image's patches
     * @param xRow    per term d, the factor all lanes share: the row's inputs (D values), or the
     *                channel's weights
     * @param nz      indices of the nonzero shared factors, nzCount of them
     * @param z0      the LPM sums; lane j's output is at index offset + j * stride of the
     *                (B, O[, P]) layouts of z0 and of every state plane
     * @param zK      receives z(K) per lane
     * @param state   the state planes (planeSize outputs each) or null
     */
    void run(float[][] wT, float[] xRow, int[] nz, int nzCount, int dTerms, float[] z0, int offset, int stride,
             float[] zK, float[] state, int planeSize) {
        int k = spec.k();
        boolean save = state != null;
        for (int j = 0; j < lanes; j++) {
            z[j] = z0[offset + j * stride];
        }
        if (save) {
            for (int j = 0; j < lanes; j++) {
                state[offset + j * stride] = z[j];
            }
        }
        int zeros = dTerms - nzCount;
        float invD = 1f / dTerms;
        for (int step = 0; step < k; step++) {
            for (int j = 0; j < lanes; j++) {
                zd[j] = z[j] * invD;
                s0[j] = 0f;
                s1[j] = 0f;
                p[j] = 0f;
                q[j] = 0f;
            }
            for (int i = 0; i < nzCount; i++) {
                int d = nz[i];
                NrpmLanes.term(spec, wT[d], xRow[d], zd, s0, s1, lanes);
                if (save) {
                    NrpmLanes.termDerivatives(spec, wT[d], xRow[d], zd, p, q, lanes);
                }
            }
            if (zeros > 0) {
                for (int j = 0; j < lanes; j++) {
                    float r = -zd[j];
                    s0[j] += zeros * NrpmLanes.weight(spec, r);
                    if (save) {
                        q[j] += zeros * NrpmLanes.derivative(spec, r);
                    }
                }
            }
            for (int j = 0; j < lanes; j++) {
                float next = dTerms * s1[j] / s0[j];
                if (save) {
                    int idx = offset + j * stride;
                    state[(step + 1) * planeSize + idx] = next;
                    state[(k + 1 + step) * planeSize + idx] = s0[j];
                    state[(2 * k + 1 + step) * planeSize + idx] = (dTerms * p[j] - next * q[j]) / s0[j];
                }
                z[j] = next;
            }
        }
        System.arraycopy(z, 0, zK, 0, lanes);
    }

    /** Indices of the nonzero values of v[0, n) into nz; returns their count. */
    static int nonzeros(float[] v, int n, int[] nz) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (v[i] != 0f) {
                nz[count++] = i;
            }
        }
        return count;
    }

    /** wT[d][o] = w[o * D + d]: one row of O lane weights per term. */
    static float[][] transpose(float[] w, int o, int d) {
        float[][] t = new float[d][o];
        for (int j = 0; j < o; j++) {
            int base = j * d;
            for (int i = 0; i < d; i++) {
                t[i][j] = w[base + i];
            }
        }
        return t;
    }

    /** w[o] as its own array of D floats, so backward loops index every array by the term. */
    static float[][] rows(float[] w, int o, int d) {
        float[][] r = new float[o][];
        for (int j = 0; j < o; j++) {
            r[j] = java.util.Arrays.copyOfRange(w, j * d, (j + 1) * d);
        }
        return r;
    }
}

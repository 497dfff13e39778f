package dev.nrpm.attack;

/**
 * Samples to attack, on the host: images (flat, n x C*H*W, in [0, 1]), true labels and each
 * sample's index in its dataset, which keys the sample's random draws.
 */
public record SampleBatch(float[] x, int[] labels, long[] ids, int[] shape) {

    public SampleBatch {
        int inner = shape[0] * shape[1] * shape[2];
        if (labels.length != ids.length || x.length != labels.length * inner) {
            throw new IllegalArgumentException(labels.length + " labels, " + ids.length + " ids and "
                    + x.length + " pixel values do not describe one batch of " + inner + "-pixel images");
        }
        shape = shape.clone();
    }

    public int size() {
        return labels.length;
    }

    /** Pixels per sample. */
    public int inner() {
        return shape[0] * shape[1] * shape[2];
    }

    /** The samples at the given rows, in that order. */
    public SampleBatch select(int[] rows) {
        int d = inner();
        float[] sx = new float[rows.length * d];
        int[] sl = new int[rows.length];
        long[] si = new long[rows.length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(x, rows[r] * d, sx, r * d, d);
            sl[r] = labels[rows[r]];
            si[r] = ids[rows[r]];
        }
        return new SampleBatch(sx, sl, si, shape);
    }
}

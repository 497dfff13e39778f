package dev.nrpm.data;

/**
 * One batch from a {@link BatchLoader}: images (B, C, H, W) as floats in [0, 1], labels (B), and
 * which dataset samples they are. B is {@link #size()}; the last batch of an epoch may be
 * smaller. The arrays are fresh for every batch and belong to the caller (no copy is made when
 * they are returned).
 */
public final class Batch {
    private final float[] images;   // (B, C, H, W)
    private final int[] labels;     // (B)
    private final int[] indices;    // (B) positions in the dataset
    private final int channels;
    private final int height;
    private final int width;
    private final int epoch;
    private final int number;

    Batch(float[] images, int[] labels, int[] indices, int channels, int height, int width, int epoch, int number) {
        this.images = images;
        this.labels = labels;
        this.indices = indices;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.epoch = epoch;
        this.number = number;
    }

    /** The number of samples, B. */
    public int size() {
        return labels.length;
    }

    /** (B, C, H, W) floats in [0, 1], augmented when the loader augments. */
    public float[] images() {
        return images;
    }

    /** (B) class indices. */
    public int[] labels() {
        return labels;
    }

    /** (B) class indices as floats, for losses that take a float target tensor. */
    public float[] labelsAsFloats() {
        float[] out = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i];
        }
        return out;
    }

    /** (B) the dataset index of each sample, in batch order. */
    public int[] indices() {
        return indices;
    }

    /** The shape of the images array: {B, C, H, W}. */
    public int[] shape() {
        return new int[]{size(), channels, height, width};
    }

    /** The epoch this batch belongs to. */
    public int epoch() {
        return epoch;
    }

    /** The position of this batch in its epoch, from 0. */
    public int number() {
        return number;
    }
}

package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

/**
 * CIFAR-style training augmentation: pad the image with {@code padding} zero (black) pixels on
 * every side, crop back to the original size at a uniformly random offset, and mirror it left to
 * right with probability {@code flipProbability}; the same as torchvision's
 * {@code RandomCrop(32, padding=4)} then {@code RandomHorizontalFlip()}.
 *
 * <p>The choice for a sample depends only on (seed, epoch, dataset index), never on batch
 * composition or on what was drawn before, so a resumed run augments exactly as the original did.
 * Mirroring changes the meaning of digits: for MNIST use a flip probability of 0 (shift only).
 */
public final class RandomCropFlip {
    /** The standard CIFAR-10 recipe: 4 pixels of padding, flip half of the images. */
    public static final RandomCropFlip CIFAR = new RandomCropFlip(4, 0.5);

    private static final long SALT = 0x6A09E667F3BCC909L;   // keeps these draws apart from the shuffle's

    private final int padding;
    private final double flipProbability;

    public RandomCropFlip(int padding, double flipProbability) {
        if (padding < 0) {
            throw new InvalidSettingException("crop padding must be >= 0, got " + padding);
        }
        if (!(flipProbability >= 0.0 && flipProbability <= 1.0)) {
            throw new InvalidSettingException("flip probability must be in [0, 1], got " + flipProbability);
        }
        this.padding = padding;
        this.flipProbability = flipProbability;
    }

    public int padding() {
        return padding;
    }

    public double flipProbability() {
        return flipProbability;
    }

    /**
     * What is done to one sample: the content moves by (dy, dx) pixels, each in
     * [-padding, padding] (positive: down, right; uncovered pixels are zero), then is mirrored
     * when flip is set.
     */
    public record Choice(int dy, int dx, boolean flip) {
    }

    /** The choice for dataset index {@code index} in {@code epoch} under {@code seed}. */
    public Choice choose(long seed, int epoch, int index) {
        SplitMix rng = SplitMix.derive(SplitMix.derive(seed ^ SALT, epoch).nextLong(), index);
        int span = 2 * padding + 1;
        int dy = rng.nextInt(span) - padding;
        int dx = rng.nextInt(span) - padding;
        return new Choice(dy, dx, rng.chance(flipProbability));
    }

    /** Writes image i of data, augmented as chosen for (seed, epoch, i), into dst at dstOffset: (C, H, W). */
    public void apply(ImageDataset data, int i, long seed, int epoch, float[] dst, int dstOffset) {
        apply(data, i, choose(seed, epoch, i), dst, dstOffset);
    }

    /** Writes image i of data, moved and mirrored as in choice, into dst at dstOffset: (C, H, W). */
    public static void apply(ImageDataset data, int i, Choice choice, float[] dst, int dstOffset) {
        int c = data.channels();
        int h = data.height();
        int w = data.width();
        java.util.Objects.checkFromIndexSize(dstOffset, c * h * w, dst.length);
        float[] unit = new float[w];
        data.copyImage(i, dst, dstOffset);   // then move it in place, row by row through a buffer
        for (int ch = 0; ch < c; ch++) {
            int plane = dstOffset + ch * h * w;
            // rows in the order that never overwrites a row still to be read
            for (int k = 0; k < h; k++) {
                int y = choice.dy() > 0 ? h - 1 - k : k;
                int sy = y - choice.dy();
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(unit, 0.0f);
                } else {
                    for (int x = 0; x < w; x++) {
                        int sx = x - choice.dx();
                        unit[x] = sx < 0 || sx >= w ? 0.0f : dst[plane + sy * w + sx];
                    }
                }
                for (int x = 0; x < w; x++) {
                    dst[plane + y * w + x] = choice.flip() ? unit[w - 1 - x] : unit[x];
                }
            }
        }
    }
}

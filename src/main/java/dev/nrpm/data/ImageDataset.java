package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.ShapeException;

import java.util.Objects;

/**
 * An in-memory labelled image dataset: N images of (C, H, W) unsigned bytes and N class labels.
 *
 * <p>Pixels stay as bytes (a quarter of the memory of floats: CIFAR-10's training set is 150 MB
 * this way) and become floats in [0, 1] (x / 255, no mean or std normalisation) only when copied
 * out, one image or one batch at a time. A {@link #slice} is a view over the same arrays, so
 * splitting the MNIST test set into a fine-tuning half and an evaluation half copies nothing.
 * Instances are immutable.
 */
public final class ImageDataset {
    /** x / 255 for every byte value: one table lookup per pixel instead of a division. */
    private static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            UNIT[v] = v / 255.0f;
        }
    }

    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;
    private final byte[] pixels;   // (total, C, H, W) uint8, shared by every slice
    private final byte[] labels;   // (total) in [0, numClasses)
    private final int start;       // first sample of this view in the arrays
    private final int size;        // samples in this view

    /**
     * Wraps the arrays without copying them: the caller hands them over and must not modify them
     * afterwards. {@code pixels} is (N, C, H, W) row-major, {@code labels} (N), each label in
     * [0, numClasses).
     */
    public ImageDataset(String name, int channels, int height, int width, int numClasses,
                        byte[] pixels, byte[] labels) {
        this(checked(name, channels, height, width, numClasses, pixels, labels),
                channels, height, width, numClasses, pixels, labels, 0, labels.length);
    }

    private ImageDataset(String name, int channels, int height, int width, int numClasses,
                         byte[] pixels, byte[] labels, int start, int size) {
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
        this.pixels = pixels;
        this.labels = labels;
        this.start = start;
        this.size = size;
    }

    private static String checked(String name, int channels, int height, int width, int numClasses,
                                  byte[] pixels, byte[] labels) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new ShapeException(name + ": image shape must be positive, got (" + channels + ", " + height + ", " + width + ")");
        }
        if (numClasses < 1 || numClasses > 256) {
            throw new InvalidSettingException(name + ": numClasses must be in [1, 256], got " + numClasses);
        }
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new ShapeException(name + ": " + pixels.length + " pixel bytes for " + labels.length
                    + " images of (" + channels + ", " + height + ", " + width + "), expected " + expected);
        }
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i] & 0xFF;
            if (label >= numClasses) {
                throw new InvalidSettingException(name + ": label " + label + " at index " + i
                        + " outside [0, " + (numClasses - 1) + "]");
            }
        }
        return name;
    }

    /** The name given when opened, e.g. "mnist-test", or "mnist-test[0:5000]" for a slice. */
    public String name() {
        return name;
    }

    /** Number of images. */
    public int size() {
        return size;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Number of classes; every label is in [0, numClasses). */
    public int numClasses() {
        return numClasses;
    }

    /** Values per image: C * H * W. */
    public int imageSize() {
        return channels * height * width;
    }

    /** The label of image i. */
    public int label(int i) {
        return labels[start + Objects.checkIndex(i, size)] & 0xFF;
    }

    /** All labels, a fresh array (N). */
    public int[] labels() {
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = labels[start + i] & 0xFF;
        }
        return out;
    }

    /** The raw byte value, 0..255, of image i at (c, y, x). */
    public int pixel(int i, int c, int y, int x) {
        Objects.checkIndex(c, channels);
        Objects.checkIndex(y, height);
        Objects.checkIndex(x, width);
        return pixels[offset(i) + (c * height + y) * width + x] & 0xFF;
    }

    /** Image i as floats in [0, 1], a fresh array (C, H, W). */
    public float[] image(int i) {
        float[] out = new float[imageSize()];
        copyImage(i, out, 0);
        return out;
    }

    /** Writes image i as floats in [0, 1], (C, H, W), into dst starting at dstOffset. */
    public void copyImage(int i, float[] dst, int dstOffset) {
        int n = imageSize();
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int src = offset(i);
        for (int k = 0; k < n; k++) {
            dst[dstOffset + k] = UNIT[pixels[src + k] & 0xFF];
        }
    }

    /** Images [from, from + count) as floats in [0, 1], a fresh array (count, C, H, W). */
    public float[] images(int from, int count) {
        Objects.checkFromIndexSize(from, count, size);
        int n = imageSize();
        float[] out = new float[Math.multiplyExact(count, n)];
        for (int i = 0; i < count; i++) {
            copyImage(from + i, out, i * n);
        }
        return out;
    }

    /**
     * The {@code limit} images starting at {@code offset}, as a view sharing this dataset's
     * arrays. Asking for more than there is is an error rather than a silently shorter slice, so
     * that an evaluation on "5000 images" really uses 5000.
     */
    public ImageDataset slice(int offset, int limit) {
        if (offset < 0 || limit < 0 || (long) offset + limit > size) {
            throw new InvalidSettingException(name + ": slice offset " + offset + " limit " + limit
                    + " does not fit in " + size + " images");
        }
        String sliceName = name + "[" + offset + ":" + (offset + limit) + "]";
        return new ImageDataset(sliceName, channels, height, width, numClasses, pixels, labels, start + offset, limit);
    }

    /**
     * Image i's index in the whole file it was read from (slices keep counting from the file's
     * start): what keys a sample's random draws in an attack, so that --offset and shards agree.
     */
    public long sourceIndex(int i) {
        return start + (long) Objects.checkIndex(i, size);
    }

    /**
     * This view as plain arrays that travel (Java serialization): the whole file's arrays and the
     * view's place in them, so that {@link #sourceIndex} and slices agree on the other side.
     */
    public Portable portable() {
        return new Portable(name, channels, height, width, numClasses, pixels, labels, start, size);
    }

    /** A dataset view that can be sent to another JVM (distributed evaluation). */
    public record Portable(String name, int channels, int height, int width, int numClasses, byte[] pixels,
                           byte[] labels, int start, int size) implements java.io.Serializable {
        public ImageDataset open() {
            checked(name, channels, height, width, numClasses, pixels, labels); // arrays from elsewhere: check them
            return new ImageDataset(name, channels, height, width, numClasses, pixels, labels, start, size);
        }
    }

    /** How many images carry each label (numClasses); sums to {@link #size()}. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int i = 0; i < size; i++) {
            counts[labels[start + i] & 0xFF]++;
        }
        return counts;
    }

    /** The mean of all pixel values in [0, 1] (0.13 for MNIST, 0.47 for CIFAR-10). */
    public double meanPixel() {
        long n = (long) size * imageSize();
        if (n == 0) {
            return 0.0;
        }
        long sum = 0;
        int from = offset(0);
        for (int k = 0; k < n; k++) {   // n fits in an int: it is a part of one array
            sum += pixels[from + k] & 0xFF;
        }
        return sum / 255.0 / n;
    }

    /** Where image i starts in the shared pixel array. */
    int offset(int i) {
        return (start + Objects.checkIndex(i, size)) * imageSize();
    }

    @Override
    public String toString() {
        return name + " (" + size + " images, " + channels + "x" + height + "x" + width + ", "
                + numClasses + " classes)";
    }
}

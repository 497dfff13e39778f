package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Cuts a dataset into batches of host arrays, epoch by epoch.
 *
 * <p>With shuffling, the order of epoch e is a permutation drawn from (seed, e) alone: the same
 * seed and epoch give the same order in any run, so a run resumed at epoch e, batch b (see
 * {@link #epoch(int, int)}) sees exactly the batches the original would have. Augmentation, when
 * set, is likewise a function of (seed, epoch, sample index). Loaders for evaluation come from
 * {@link #evaluation}: in order, every sample, never augmented. A loader holds no iteration
 * state, so it is safe to share between threads; each batch is built when asked for.
 *
 * <pre>{@code
 * BatchLoader train = BatchLoader.builder(trainSet, 128).shuffle(seed).augment(RandomCropFlip.CIFAR).build();
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     for (Batch b : train.epoch(epoch)) { ... b.images() (B, C, H, W), b.labels() (B) ... }
 * }
 * }</pre>
 */
public final class BatchLoader {
    private static final long SHUFFLE_SALT = 0xBB67AE8584CAA73BL;

    private final ImageDataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final RandomCropFlip augmentation;   // null: none

    private BatchLoader(Builder b) {
        this.data = b.data;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.augmentation = b.augmentation;
    }

    /** Starts a loader over data in batches of batchSize: unshuffled, unaugmented, keeping the last batch. */
    public static Builder builder(ImageDataset data, int batchSize) {
        return new Builder(data, batchSize);
    }

    /** For evaluation: every sample once, in dataset order, never augmented, the last batch kept. */
    public static BatchLoader evaluation(ImageDataset data, int batchSize) {
        return builder(data, batchSize).build();
    }

    /** Options of a {@link BatchLoader}. */
    public static final class Builder {
        private final ImageDataset data;
        private final int batchSize;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private RandomCropFlip augmentation;

        private Builder(ImageDataset data, int batchSize) {
            this.data = Objects.requireNonNull(data, "data");
            if (batchSize <= 0) {
                throw new InvalidSettingException(data.name() + ": batch size must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
        }

        /** Shuffles every epoch, the order drawn from (seed, epoch); augmentation uses the same seed. */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** The seed for augmentation without shuffling (shuffle(seed) sets it too). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Drops the last batch when it is smaller than the batch size (keeps batch statistics even). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Augments every sample (training only); null turns augmentation off. */
        public Builder augment(RandomCropFlip augmentation) {
            this.augmentation = augmentation;
            return this;
        }

        public BatchLoader build() {
            return new BatchLoader(this);
        }
    }

    public ImageDataset dataset() {
        return data;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The seed of the shuffle and the augmentation: record it to reproduce or resume a run. */
    public long seed() {
        return seed;
    }

    public boolean shuffles() {
        return shuffle;
    }

    public boolean dropsLast() {
        return dropLast;
    }

    /** True when samples are augmented. */
    public boolean augments() {
        return augmentation != null;
    }

    /** Batches per epoch: size / batchSize, rounded up unless the last batch is dropped. */
    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Samples per epoch (all of them, or fewer when the last batch is dropped). */
    public int samplesPerEpoch() {
        return dropLast ? batchesPerEpoch() * batchSize : data.size();
    }

    /** The dataset indices of epoch {@code epoch} in the order they are served (N). */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new InvalidSettingException("epoch must be >= 0, got " + epoch);
        }
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplitMix rng = SplitMix.derive(seed ^ SHUFFLE_SALT, epoch);
            for (int i = n - 1; i > 0; i--) {   // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** The batches of an epoch; iterating twice gives the same batches. */
    public Iterable<Batch> epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /** The batches of an epoch from batch number firstBatch on: resumes a run mid-epoch. */
    public Iterable<Batch> epoch(int epoch, int firstBatch) {
        if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
            throw new InvalidSettingException(data.name() + ": first batch " + firstBatch + " outside [0, "
                    + batchesPerEpoch() + "]");
        }
        int[] order = order(epoch);
        return () -> new Iterator<>() {
            private int next = firstBatch;

            @Override
            public boolean hasNext() {
                return next < batchesPerEpoch();
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return assemble(order, epoch, next++);
            }
        };
    }

    /** Batch number {@code number} of epoch {@code epoch}, on its own. */
    public Batch batch(int epoch, int number) {
        Objects.checkIndex(number, batchesPerEpoch());
        return assemble(order(epoch), epoch, number);
    }

    private Batch assemble(int[] order, int epoch, int number) {
        int from = number * batchSize;
        int b = Math.min(batchSize, data.size() - from);
        int sample = data.imageSize();
        float[] images = new float[b * sample];   // (B, C, H, W)
        int[] labels = new int[b];
        int[] indices = new int[b];
        for (int k = 0; k < b; k++) {
            int i = order[from + k];
            indices[k] = i;
            labels[k] = data.label(i);
            if (augmentation != null) {
                augmentation.apply(data, i, seed, epoch, images, k * sample);
            } else {
                data.copyImage(i, images, k * sample);
            }
        }
        return new Batch(images, labels, indices, data.channels(), data.height(), data.width(), epoch, number);
    }
}

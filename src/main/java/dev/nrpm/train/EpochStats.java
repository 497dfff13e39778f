package dev.nrpm.train;

/** What one training epoch did: mean loss and accuracy over its batches (on the batches trained on). */
public record EpochStats(int epoch, double loss, double accuracy, float lr, double seconds, int samples) {
    @Override
    public String toString() {
        return String.format("epoch %d: loss %.4f, train accuracy %.2f%%, lr %.4g, %.1f s (%.0f samples/s)",
                epoch + 1, loss, 100 * accuracy, lr, seconds, samples / Math.max(seconds, 1e-9));
    }
}

package dev.nrpm.data;

/**
 * Multinomial logistic regression trained by plain SGD, in Java, for the learnability tests of
 * the synthetic datasets: if a linear model learns a dataset well, the dataset has signal; if it
 * stays below perfect, the dataset is not trivial. Float32, single thread, a few epochs.
 */
final class SoftmaxRegression {
    private final int features;
    private final int classes;
    private final float[] weight;   // (classes, features)
    private final float[] bias;     // (classes)

    SoftmaxRegression(int features, int classes) {
        this.features = features;
        this.classes = classes;
        this.weight = new float[classes * features];
        this.bias = new float[classes];
    }

    /** SGD with batch size 1 over data in the loader's (shuffled) order. */
    void train(BatchLoader loader, int epochs, float learningRate) {
        float[] p = new float[classes];
        for (int e = 0; e < epochs; e++) {
            for (Batch b : loader.epoch(e)) {
                float[] x = b.images();   // (B, features)
                for (int s = 0; s < b.size(); s++) {
                    probabilities(x, s * features, p);
                    for (int k = 0; k < classes; k++) {
                        float g = (p[k] - (k == b.labels()[s] ? 1.0f : 0.0f)) * learningRate;
                        bias[k] -= g;
                        int row = k * features;
                        for (int f = 0; f < features; f++) {
                            weight[row + f] -= g * x[s * features + f];
                        }
                    }
                }
            }
        }
    }

    /** Fraction of data classified correctly. */
    double accuracy(ImageDataset data) {
        int correct = 0;
        float[] p = new float[classes];
        for (Batch b : BatchLoader.evaluation(data, 256).epoch(0)) {
            for (int s = 0; s < b.size(); s++) {
                probabilities(b.images(), s * features, p);
                int best = 0;
                for (int k = 1; k < classes; k++) {
                    if (p[k] > p[best]) {
                        best = k;
                    }
                }
                correct += best == b.labels()[s] ? 1 : 0;
            }
        }
        return correct / (double) data.size();
    }

    private void probabilities(float[] x, int at, float[] p) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            float z = bias[k];
            int row = k * features;
            for (int f = 0; f < features; f++) {
                z += weight[row + f] * x[at + f];
            }
            p[k] = z;
            max = Math.max(max, z);
        }
        float sum = 0;
        for (int k = 0; k < classes; k++) {
            p[k] = (float) Math.exp(p[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < classes; k++) {
            p[k] /= sum;
        }
    }
}

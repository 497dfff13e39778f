package dev.nrpm.models;

/** The shape of one input image (channels, height, width): MNIST 1x28x28, CIFAR-10 3x32x32. */
public record InputShape(int channels, int height, int width) implements java.io.Serializable {
    public static final InputShape MNIST = new InputShape(1, 28, 28);
    public static final InputShape CIFAR = new InputShape(3, 32, 32);

    public int size() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}

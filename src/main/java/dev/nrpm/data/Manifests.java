package dev.nrpm.data;

import java.util.List;

/**
 * Where the real datasets come from: file names, URLs in the order they are tried, and MD5s of
 * the canonical files. The S3 mirror comes first for MNIST because yann.lecun.com often refuses
 * or throttles downloads.
 */
public final class Manifests {
    public static final String MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/";
    public static final String MNIST_ORIGIN = "http://yann.lecun.com/exdb/mnist/";
    public static final String CIFAR10_ORIGIN = "https://www.cs.toronto.edu/~kriz/";

    public static final RemoteFile MNIST_TRAIN_IMAGES = RemoteFile.under(MnistReader.TRAIN_IMAGES,
            "f68b3c2dcbeaaa9fbdd348bbdeb94873", MNIST_MIRROR, MNIST_ORIGIN);
    public static final RemoteFile MNIST_TRAIN_LABELS = RemoteFile.under(MnistReader.TRAIN_LABELS,
            "d53e105ee54ea40749a09fcbcd1e9432", MNIST_MIRROR, MNIST_ORIGIN);
    public static final RemoteFile MNIST_TEST_IMAGES = RemoteFile.under(MnistReader.TEST_IMAGES,
            "9fb629c4189551a2d022fa330f9573f3", MNIST_MIRROR, MNIST_ORIGIN);
    public static final RemoteFile MNIST_TEST_LABELS = RemoteFile.under(MnistReader.TEST_LABELS,
            "ec29112dd5afa0611ce80d1b7f02629c", MNIST_MIRROR, MNIST_ORIGIN);

    /** One archive holds both CIFAR-10 splits. */
    public static final RemoteFile CIFAR10_ARCHIVE = RemoteFile.under(CifarReader.ARCHIVE,
            "c32a1d4ab5d03f1284b67883e8d87530", CIFAR10_ORIGIN);

    private Manifests() {
    }

    /** The (images, labels) files of an MNIST split. */
    public static List<RemoteFile> mnist(Split split) {
        return split == Split.TRAIN ? List.of(MNIST_TRAIN_IMAGES, MNIST_TRAIN_LABELS)
                : List.of(MNIST_TEST_IMAGES, MNIST_TEST_LABELS);
    }

    /** The CIFAR-10 files, whatever the split. */
    public static List<RemoteFile> cifar10() {
        return List.of(CIFAR10_ARCHIVE);
    }
}

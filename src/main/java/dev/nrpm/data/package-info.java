/**
 * Datasets as host arrays: MNIST (IDX files) and CIFAR-10 (binary batches) readers with strict
 * validation, a checksummed downloader into a cache directory, two deterministic synthetic
 * stand-ins ({@code synth-mnist}, {@code synth-cifar}), and a seeded batch loader with CIFAR-style
 * augmentation. {@link dev.nrpm.data.Datasets} opens any of them by name.
 *
 * <p>This package knows nothing of tensors or backends: images leave it as {@code float[]} in
 * [0, 1], CHW layout, labels as {@code int[]}; the training code uploads them. Every problem with
 * a file is a typed exception whose one-line message names the file.
 */
package dev.nrpm.data;

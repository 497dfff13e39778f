#!/usr/bin/env python3
"""Writes the small MNIST and CIFAR-10 fixtures in test-data/ (stdlib only, deterministic).

Run from anywhere:  python3 test-data/generate.py
Every value follows a formula, so tests can check exact pixels and labels, and the layout
(row-major, CIFAR's R, G, B planes) is verified rather than assumed. Formats and formulas are
documented in test-data/README.md; keep the two in step with src/test/java/dev/nrpm/data/Fixtures.java.
"""
import gzip
import io
import os
import struct
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))

MNIST_SIDE = 28
CIFAR_SIDE = 32


def mnist_pixel(seed, i, r, c):
    return (seed * 101 + i * 37 + r * 11 + c * 5) % 256


def mnist_label(seed, i):
    return (seed * 3 + i * 7) % 10


def idx_images(seed, count):
    # magic 2051 = 00 00 08 03 (unsigned byte, 3 dimensions), then count, rows, cols, big-endian
    head = struct.pack(">iiii", 2051, count, MNIST_SIDE, MNIST_SIDE)
    body = bytes(mnist_pixel(seed, i, r, c)
                 for i in range(count) for r in range(MNIST_SIDE) for c in range(MNIST_SIDE))
    return head + body


def idx_labels(seed, count):
    # magic 2049 = 00 00 08 01 (unsigned byte, 1 dimension), then count, big-endian
    return struct.pack(">ii", 2049, count) + bytes(mnist_label(seed, i) for i in range(count))


def cifar_pixel(batch, i, ch, r, c):
    return (batch * 59 + i * 31 + ch * 85 + r * 7 + c * 3) % 256


def cifar_label(batch, i):
    return (batch * 3 + i) % 10


def cifar_batch(batch, count):
    # per record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes (32x32 row-major planes)
    out = bytearray()
    for i in range(count):
        out.append(cifar_label(batch, i))
        out.extend(cifar_pixel(batch, i, ch, r, c)
                   for ch in range(3) for r in range(CIFAR_SIDE) for c in range(CIFAR_SIDE))
    return bytes(out)


# batch numbers: 1..5 are data_batch_1..5.bin, 6 is test_batch.bin
CIFAR_BATCHES = [("data_batch_%d.bin" % b, b, 3 if b == 1 else 2) for b in range(1, 6)] + [("test_batch.bin", 6, 2)]
CIFAR_META = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"


def gz(data):
    # mtime=0 and no file name in the header: the same input always gives the same bytes
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("%-48s %6d bytes" % (rel, len(data)))


def tar_gz(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        folder = tarfile.TarInfo("cifar-10-batches-bin")
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(folder)
        for name, data in members:
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return gz(raw.getvalue())


def main():
    # MNIST: a test split raw and gzip (same content), a train split gzip only
    write("mnist-raw/t10k-images-idx3-ubyte", idx_images(0, 20))
    write("mnist-raw/t10k-labels-idx1-ubyte", idx_labels(0, 20))
    write("mnist-gz/t10k-images-idx3-ubyte.gz", gz(idx_images(0, 20)))
    write("mnist-gz/t10k-labels-idx1-ubyte.gz", gz(idx_labels(0, 20)))
    write("mnist-gz/train-images-idx3-ubyte.gz", gz(idx_images(1, 30)))
    write("mnist-gz/train-labels-idx1-ubyte.gz", gz(idx_labels(1, 30)))

    # CIFAR-10: two loose batch files, and an archive laid out like cifar-10-binary.tar.gz
    batches = {name: cifar_batch(b, n) for name, b, n in CIFAR_BATCHES}
    write("cifar/data_batch_1.bin", batches["data_batch_1.bin"])
    write("cifar/test_batch.bin", batches["test_batch.bin"])
    members = [("batches.meta.txt", CIFAR_META)] + [(name, batches[name]) for name, _, _ in CIFAR_BATCHES]
    write("cifar-archive/cifar-10-binary.tar.gz", tar_gz(members))


if __name__ == "__main__":
    main()

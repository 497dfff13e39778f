#!/usr/bin/env python3
"""Runs the reference AutoAttack (Croce and Hein's own code, github.com/fra31/auto-attack) on the
same checkpoint, images and budget as `nrpm eval --attack autoattack`, for a side-by-side check of
our implementation. The reference code is not part of this project: pass the folder that holds its
`autoattack` package (a clone of that repository) with --autoattack-src.

Only LPM models (the plain PyTorch networks): mlp, lenet, tiny resnet18. Images are read from the
same files our loaders read (MNIST IDX gzip, CIFAR-10 binary batch), in file order from --offset.

Prints and writes (--json) the clean accuracy and the robust accuracy after each attack of the
ensemble, as AutoAttack logs them.
"""
import argparse
import gzip
import json
import os
import re
import sys
import time

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--autoattack-src", required=True, help="folder containing the reference `autoattack` package")
    p.add_argument("--model", required=True, choices=["mlp", "lenet", "resnet18"])
    p.add_argument("--width", type=int, default=8, help="resnet18 base width (8: the tiny checkpoint)")
    p.add_argument("--weights", required=True)
    p.add_argument("--data", required=True, choices=["mnist", "cifar10"])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--norm", default="Linf", choices=["Linf", "L2"])
    p.add_argument("--eps", required=True, help="budget, a decimal or a fraction like 8/255")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    p.add_argument("--json", help="write the results here")
    return p.parse_args(argv)


def fraction(text):
    if "/" in text:
        a, b = text.split("/", 1)
        return float(a) / float(b)
    return float(text)


def read_images(data, folder, offset, limit):
    if data == "mnist":
        with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
            raw = f.read()
        with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")) as f:
            lab = f.read()
        images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
        labels = np.frombuffer(lab, dtype=np.uint8, offset=8)
    else:
        path = os.path.join(folder, "cifar-10-batches-bin", "test_batch.bin")
        rec = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
        labels = rec[:, 0]
        images = rec[:, 1:].reshape(-1, 3, 32, 32)
    x = images[offset:offset + limit].astype(np.float32) / 255.0
    y = labels[offset:offset + limit].astype(np.int64)
    return x, y


def build_model(torch, args):
    nn = torch.nn
    F = torch.nn.functional
    if args.model == "mlp":
        class Mlp(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 64), nn.Linear(64, 10)

            def forward(self, x):
                return self.fc3(self.fc2(self.fc1(x.flatten(1))))
        return Mlp()
    if args.model == "lenet":
        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
                self.fc1, self.fc2 = nn.Linear(320, 50), nn.Linear(50, 10)

            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2(x), 2))
                x = F.relu(self.fc1(x.flatten(1)))
                return F.log_softmax(self.fc2(x), dim=1)
        return LeNet()

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet18(nn.Module):
        def __init__(self, w):
            super().__init__()
            self.conv1 = nn.Conv2d(3, w, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(w)
            layers, cin = [], w
            for i, (mult, stride) in enumerate([(1, 1), (2, 2), (4, 2), (8, 2)]):
                blocks = [Block(cin, w * mult, stride), Block(w * mult, w * mult, 1)]
                cin = w * mult
                setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
            self.linear = nn.Linear(8 * w, 10)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            out = F.avg_pool2d(out, 4).flatten(1)
            return self.linear(out)
    return ResNet18(args.width)


def load_weights(torch, model, path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, dict) and "net" in obj:
        obj = obj["net"]
    state = {}
    for k, v in obj.items():
        k = k[len("module."):] if k.startswith("module.") else k
        if "robust_sum" in k:
            continue  # NRPM's lambda: these runs are LPM
        state[k] = v
    model.load_state_dict(state, strict=True)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, args.autoattack_src)
    import torch
    from autoattack import AutoAttack
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    model = build_model(torch, args)
    load_weights(torch, model, args.weights)
    model.eval()
    x, y = read_images(args.data, args.data_dir, args.offset, args.limit)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    eps = fraction(args.eps)
    log = "/tmp/reference_autoattack_%d.log" % os.getpid()
    adversary = AutoAttack(model, norm=args.norm, eps=eps, version="standard", seed=args.seed, log_path=log,
                           device="cpu")
    start = time.time()
    adversary.run_standard_evaluation(x, y, bs=args.batch)
    seconds = time.time() - start
    with open(log) as f:
        text = f.read()
    os.remove(log)
    clean = re.search(r"initial accuracy: ([0-9.]+)%", text)
    after = re.findall(r"robust accuracy after ([A-Z0-9-]+): ([0-9.]+)%", text)
    result = {
        "implementation": "fra31/auto-attack (reference)",
        "model": args.model, "weights": args.weights, "data": args.data, "offset": args.offset, "n": args.limit,
        "norm": args.norm, "eps": eps, "seed": args.seed, "torch": torch.__version__,
        "clean_accuracy": float(clean.group(1)) / 100 if clean else None,
        "robust_after": [{"attack": a.lower(), "accuracy": float(v) / 100} for a, v in after],
        "seconds": seconds,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()

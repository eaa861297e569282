#!/usr/bin/python3
"""Pretrains a small CNN on digits 0-4 with PyTorch and exports it to ONNX.

    pretrain.py --out DIR [--per-class K] [--subsets N] [--epochs E] [--seed S]

Writes into DIR:
  backbone.onnx             the network, input x f32[batch, 1, 8, 8], output logits [batch, 5]
  smallI_x.npy, smallI_y.npy for I = 0..N-1: K training images of each digit 5-9,
                            drawn with seed I, labels remapped to 0-4
  test_x.npy, test_y.npy    every test image of digits 5-9, labels remapped likewise
"""

import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 128)
        self.head = nn.Linear(128, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))                 # [B, 16, 8, 8]
        x = F.relu(self.conv2(x))                 # [B, 32, 4, 4]
        x = F.relu(self.fc1(torch.flatten(x, 1)))  # the features the head reads
        return self.head(x)


def load(split):
    x = np.load(os.path.join(DATA, f"digits_{split}_x.npy")).reshape(-1, 1, 8, 8)
    y = np.load(os.path.join(DATA, f"digits_{split}_y.npy")).astype(np.int64)
    return x.astype(np.float32), y


def shifted(x):
    """x with each image moved by -1, 0 or 1 pixel along each axis, zeros shifted in."""
    padded = F.pad(x, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (len(x),))
    dx = torch.randint(0, 3, (len(x),))
    out = torch.empty_like(x)
    for a in range(3):
        for b in range(3):
            pick = (dy == a) & (dx == b)
            out[pick] = padded[pick, :, a:a + 8, b:b + 8]
    return out


def pretrain(epochs, seed):
    torch.manual_seed(seed)
    x, y = load("train")
    keep = y < 5
    x, y = torch.from_numpy(x[keep]), torch.from_numpy(y[keep])
    model = Net()
    # Shifted images, weight decay and label smoothing make features that
    # describe digits in general rather than only tell 0-4 apart; they
    # transfer better to the new digits (docs/training.md, "Fine-tuning an
    # imported network").
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-3)
    start = time.time()
    # A fixed number of epochs rather than a time limit, so that the
    # backbone is the same on every machine.
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            F.cross_entropy(model(shifted(x[idx])), y[idx], label_smoothing=0.1).backward()
            opt.step()
    model.eval()
    tx, ty = load("test")
    keep = ty < 5
    with torch.no_grad():
        acc = (model(torch.from_numpy(tx[keep])).argmax(1).numpy() == ty[keep]).mean()
    print(f"pretrained on digits 0-4: {epochs} epochs in {time.time() - start:.1f}s, "
          f"test accuracy {acc:.4f}")
    return model


def export(model, path):
    # PRESERVE and no constant folding keep the state_dict names on the
    # initializers (see tests/onnx/export_models.py), so the imported
    # parameter files are conv1_weight.npy, ..., head_bias.npy.
    torch.onnx.export(model, torch.zeros(2, 1, 8, 8), path, opset_version=13,
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)


def write_new_task(out, per_class, subsets):
    """The fine-tuning task: digits 5-9 as classes 0-4, a few training examples."""
    x, y = load("train")
    for s in range(subsets):
        rng = np.random.default_rng(s)
        pick = np.concatenate([rng.choice(np.flatnonzero(y == d), per_class, replace=False)
                               for d in range(5, 10)])
        np.save(os.path.join(out, f"small{s}_x.npy"), x[pick])
        np.save(os.path.join(out, f"small{s}_y.npy"), (y[pick] - 5).astype(np.int32))
    tx, ty = load("test")
    keep = ty >= 5
    np.save(os.path.join(out, "test_x.npy"), tx[keep])
    np.save(os.path.join(out, "test_y.npy"), (ty[keep] - 5).astype(np.int32))
    print(f"digits 5-9: {subsets} training sets of {per_class} per digit, "
          f"{keep.sum()} test examples")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-class", type=int, default=2,
                    help="training examples of each new digit (default 2)")
    ap.add_argument("--subsets", type=int, default=5,
                    help="training sets to draw, with seeds 0..N-1 (default 5)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0, help="seed of the pretraining")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    export(pretrain(args.epochs, args.seed), os.path.join(args.out, "backbone.onnx"))
    write_new_task(args.out, args.per_class, args.subsets)


if __name__ == "__main__":
    main()

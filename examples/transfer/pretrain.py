#!/usr/bin/python3
"""Pretrains a small CNN on digits 0-4 with PyTorch and exports it to ONNX.

    pretrain.py --out DIR

Writes into DIR:
  backbone.onnx            the network, input x f32[batch, 1, 8, 8], output logits [batch, 5]
  small_x.npy, small_y.npy a few examples of each digit 5-9, labels remapped to 0-4
  test_x.npy, test_y.npy   every test image of digits 5-9, labels remapped likewise
"""

import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
PER_CLASS = 20  # examples of each new digit the fine-tuning sees


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.head = nn.Linear(64, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))                 # [B, 16, 8, 8]
        x = F.relu(self.conv2(x))                 # [B, 32, 4, 4]
        x = F.relu(self.fc1(torch.flatten(x, 1)))  # the features the new head reads
        return self.head(x)


def load(split):
    x = np.load(os.path.join(DATA, f"digits_{split}_x.npy")).reshape(-1, 1, 8, 8)
    y = np.load(os.path.join(DATA, f"digits_{split}_y.npy")).astype(np.int64)
    return x.astype(np.float32), y


def pretrain(epochs, seed):
    torch.manual_seed(seed)
    x, y = load("train")
    keep = y < 5
    x, y = torch.from_numpy(x[keep]), torch.from_numpy(y[keep])
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    # A fixed number of epochs rather than a time limit, so that the
    # backbone is the same on every machine.
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
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


def write_new_task(out, seed):
    """The fine-tuning task: digits 5-9 as classes 0-4, few training examples."""
    rng = np.random.default_rng(seed)
    x, y = load("train")
    pick = np.concatenate([rng.choice(np.flatnonzero(y == d), PER_CLASS, replace=False)
                           for d in range(5, 10)])
    np.save(os.path.join(out, "small_x.npy"), x[pick])
    np.save(os.path.join(out, "small_y.npy"), (y[pick] - 5).astype(np.int32))
    tx, ty = load("test")
    keep = ty >= 5
    np.save(os.path.join(out, "test_x.npy"), tx[keep])
    np.save(os.path.join(out, "test_y.npy"), (ty[keep] - 5).astype(np.int32))
    print(f"digits 5-9: {len(pick)} training examples, {keep.sum()} test examples")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    export(pretrain(args.epochs, args.seed), os.path.join(args.out, "backbone.onnx"))
    write_new_task(args.out, args.seed)


if __name__ == "__main__":
    main()

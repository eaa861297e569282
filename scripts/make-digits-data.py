#!/usr/bin/python3
"""Builds examples/data/digits_*.npy from the UCI optical-recognition digits
that Debian's python3-sklearn ships (sklearn/datasets/data/digits.csv.gz).

Splits 80/20 with a fixed seed and writes NumPy .npy files with the standard
library only: pixels as f32 scaled from 0..16 to 0..1, labels as i32.
Usage: make-digits-data.py DIGITS_CSV_GZ OUT_DIR
"""
import gzip
import random
import struct
import sys


def write_npy(path, descr, shape, values, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
    # Pad so that the data starts on a 64-byte boundary, as NumPy does.
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main():
    source, out_dir = sys.argv[1], sys.argv[2]
    with gzip.open(source, "rt") as f:
        rows = [[int(v) for v in line.split(",")] for line in f if line.strip()]
    assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
    order = list(range(len(rows)))
    random.Random(20260101).shuffle(order)
    n_train = int(round(0.8 * len(rows)))
    for split, idx in (("train", order[:n_train]), ("test", order[n_train:])):
        pixels = [rows[i][j] / 16.0 for i in idx for j in range(64)]
        labels = [rows[i][64] for i in idx]
        write_npy("%s/digits_%s_x.npy" % (out_dir, split), "<f4", (len(idx), 64), pixels, "f")
        write_npy("%s/digits_%s_y.npy" % (out_dir, split), "<i4", (len(idx),), labels, "i")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the small synthetic data sets of the examples, standard library only:
xor_{x,y}.npy (the four XOR cases) and sine_{x,y}.npy (256 evenly spaced
points of y = sin(x) on [-pi, pi]). Usage: make-toy-data.py OUT_DIR
"""
import math
import struct
import sys


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(d) for d in shape)
    header += " " * ((64 - (11 + len(header)) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def main():
    out = sys.argv[1]
    write_npy(out + "/xor_x.npy", (4, 2), [0, 0, 0, 1, 1, 0, 1, 1])
    write_npy(out + "/xor_y.npy", (4, 1), [0, 1, 1, 0])
    xs = [-math.pi + 2 * math.pi * i / 255 for i in range(256)]
    write_npy(out + "/sine_x.npy", (256, 1), xs)
    write_npy(out + "/sine_y.npy", (256, 1), [math.sin(x) for x in xs])


if __name__ == "__main__":
    main()

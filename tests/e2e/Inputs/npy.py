#!/usr/bin/env python3
"""Small .npy helper for the CLI tests, standard library only.

  npy.py make FILE DTYPE SHAPE [SEED]   write pseudo-random data
                                        (f32/f64 in [-1, 1), i32/i64 in [0, 10))
  npy.py from FILE DTYPE SHAPE V,V,...  write the given values, row-major
  npy.py set FILE INDEX VALUE           set one element (flat INDEX) to VALUE,
                                        which may be nan or inf
  npy.py show FILE...                   print "NAME: DTYPE[SHAPE]" per file
  npy.py sum FILE                       print the sum of the elements
  npy.py compare A B [TOL]              A and B have one dtype and shape and
                                        |a - b| <= TOL * (1 + |b|) everywhere
                                        (default 1e-5; NaN matches NaN)
"""
import ast
import os
import random
import struct
import sys

CODES = {"f32": ("<f4", "f"), "f64": ("<f8", "d"), "i32": ("<i4", "i"), "i64": ("<i8", "q"), "u8": ("|u1", "B")}
NAMES = {v[0]: k for k, v in CODES.items()}


def write(path, dtype, shape, values):
    descr, fmt = CODES[dtype]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d," % d for d in shape) if len(shape) == 1 else ", ".join(str(d) for d in shape))
    header += " " * ((64 - (11 + len(header)) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    (hlen,) = struct.unpack("<H" if major == 1 else "<I", data[8:10] if major == 1 else data[8:12])
    start = 10 if major == 1 else 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    shape = header["shape"]
    dtype = NAMES[header["descr"]]
    count = 1
    for d in shape:
        count *= d
    fmt = CODES[dtype][1]
    values = struct.unpack_from("<%d%s" % (count, fmt), data, start + hlen)
    return dtype, shape, values


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        path, dtype, shape = sys.argv[2], sys.argv[3], [int(d) for d in sys.argv[4].split("x") if d]
        rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 0)
        count = 1
        for d in shape:
            count *= d
        if dtype.startswith("f"):
            values = [rng.uniform(-1, 1) for _ in range(count)]
        else:
            values = [rng.randrange(10) for _ in range(count)]
        write(path, dtype, shape, values)
    elif cmd == "from":
        path, dtype, shape = sys.argv[2], sys.argv[3], [int(d) for d in sys.argv[4].split("x") if d]
        cast = float if dtype.startswith("f") else int
        values = [cast(v) for v in sys.argv[5].split(",")]
        count = 1
        for d in shape:
            count *= d
        if len(values) != count:
            sys.exit("%s: %d values for shape %s" % (path, len(values), sys.argv[4]))
        write(path, dtype, shape, values)
    elif cmd == "set":
        path, index, value = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        dtype, shape, values = read(path)
        values = list(values)
        values[index] = float(value) if dtype.startswith("f") else int(value)
        write(path, dtype, shape, values)
    elif cmd == "show":
        for path in sys.argv[2:]:
            dtype, shape, _ = read(path)
            print("%s: %s[%s]" % (os.path.basename(path), dtype, ", ".join(str(d) for d in shape)))
    elif cmd == "sum":
        print("%.6g" % sum(read(sys.argv[2])[2]))
    elif cmd == "compare":
        tol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
        (da, sa, va), (db, sb, vb) = read(sys.argv[2]), read(sys.argv[3])
        if (da, tuple(sa)) != (db, tuple(sb)):
            sys.exit("%s: %s%s differs from %s%s" % (sys.argv[2], da, list(sa), db, list(sb)))
        for i, (a, b) in enumerate(zip(va, vb)):
            if a != a and b != b:
                continue
            if not abs(a - b) <= tol * (1 + abs(b)):
                sys.exit("%s: element %d is %r, expected %r (tolerance %g)" % (sys.argv[2], i, a, b, tol))


if __name__ == "__main__":
    main()

"""Damages files in place, for cache tests: `damage.py flip|truncate DIR`
inverts 16 bytes in the middle of, or truncates to 20 bytes, every file of DIR."""
import os
import sys

mode, folder = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(folder))
if not names:
    sys.exit("damage.py: %s is empty" % folder)
for name in names:
    path = os.path.join(folder, name)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if mode == "flip":
        middle = len(data) // 2
        data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    elif mode == "truncate":
        data = data[:20]
    else:
        sys.exit("damage.py: unknown mode " + mode)
    with open(path, "wb") as f:
        f.write(bytes(data))

"""Writes a copy of a file with one run of bytes replaced, for tests of damaged
files: `replace_bytes.py IN OUT OLD NEW` (OLD must occur in IN exactly once)."""
import sys

source, target, old, new = sys.argv[1:5]
with open(source, "rb") as f:
    data = f.read()
count = data.count(old.encode())
if count != 1:
    sys.exit("replace_bytes.py: %r occurs %d times in %s, not once" % (old, count, source))
with open(target, "wb") as f:
    f.write(data.replace(old.encode(), new.encode()))

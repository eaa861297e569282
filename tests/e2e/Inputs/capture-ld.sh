#!/bin/sh
# A linker wrapper for NNC_LINKER: links with ld as asked, then keeps a copy
# of each shared object it made in $CAPTURE_DIR (code0.so, code1.so, ...),
# so tests can disassemble the code a cpu artifact carries.
ld "$@" || exit $?
out=
prev=
for arg in "$@"; do
  [ "$prev" = "-o" ] && out=$arg
  prev=$arg
done
n=$(ls "$CAPTURE_DIR" | wc -l)
cp "$out" "$CAPTURE_DIR/code$n.so"

#!/usr/bin/env bash
# Installs the Debian 12 packages nnc needs to build and test, and only the
# ones that are missing, so running it again is cheap. Runs as root, or
# through sudo otherwise.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ binutils make python3
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  clang-19 libclang-rt-19-dev
  libtbb-dev libfmt-dev libflatbuffers-dev flatbuffers-compiler
  googletest libgtest-dev zlib1g-dev
  pybind11-dev python3-dev python3-numpy python3-pytest
  libonnx-dev libprotobuf-dev python3-onnx python3-torch
  libopenmpi-dev openmpi-bin
  graphviz chromium
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

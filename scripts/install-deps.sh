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

# Not a Debian-family system: say so, rather than list every package as
# missing and fail on the first apt-get.
for tool in dpkg-query apt-get; do
  if ! command -v "$tool" > /dev/null; then
    echo "install-deps: $tool not found: this script installs Debian 12 packages; on another system install the packages listed in it by hand" >&2
    exit 1
  fi
done

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
  if ! command -v sudo > /dev/null; then
    echo "install-deps: missing ${missing[*]}; run this script as root (or install sudo) to install them" >&2
    exit 1
  fi
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

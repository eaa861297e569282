#!/usr/bin/env bash
# Installs the Debian 12 packages the benchmark peers need (PyTorch and numpy,
# which bring OpenBLAS and oneDNN), and only the ones that are missing, so
# running it again is cheap. Runs as root, or through sudo otherwise.
set -euo pipefail

# libopenblas0-pthread: without it numpy and torch get the reference BLAS
# (libblas3), which is no fair peer.
PACKAGES=(python3-torch python3-numpy libopenblas0-pthread)

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

echo "install-bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

"""The nnc binary the ONNX tests drive: $NNC, else the build tree's."""

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def _nnc_path():
    path = os.environ.get("NNC") or os.path.join(HERE, "..", "..", "build", "bin", "nnc")
    return path if os.access(path, os.X_OK) else None


NNC = _nnc_path()


def nnc(*args, expect=0):
    """Runs nnc; fails the test with its output when the exit code differs from expect."""
    done = subprocess.run([NNC, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == expect, (
        f"nnc {' '.join(map(str, args))}: exit {done.returncode}, expected {expect}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done

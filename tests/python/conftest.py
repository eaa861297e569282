"""Shared fixtures: the nnc binary and the bundled digits, located from
the environment CTest sets (NNC_BINARY, NNC_EXAMPLES)."""

import os
import subprocess

import numpy as np
import pytest

EXAMPLES = os.environ["NNC_EXAMPLES"]
NNC = os.environ["NNC_BINARY"]


@pytest.fixture(scope="session")
def digits():
    x = np.load(os.path.join(EXAMPLES, "data", "digits_test_x.npy"))
    y = np.load(os.path.join(EXAMPLES, "data", "digits_test_y.npy"))
    return x, y


@pytest.fixture(scope="session")
def mlp_path():
    return os.path.join(EXAMPLES, "mlp_digits.nn")


def run_cli(*args):
    """Runs the nnc binary; fails the test with its stderr on an error."""
    done = subprocess.run([NNC, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done

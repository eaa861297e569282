"""Train the bundled digits MLP data-parallel from Python: every rank of
the MPI job runs this script, trains on its share of every batch, and the
gradients are averaged over the ranks at each step.

Run from the repository root after building (as root, Open MPI also wants
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):
    PYTHONPATH=build/python mpirun -np 2 /usr/bin/python3 examples/python/data_parallel.py
"""

import os

import numpy as np

import nnc

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.dirname(here)
data = os.path.join(examples, "data")
model_path = os.path.join(examples, "mlp_digits.nn")
train = {"x": np.load(os.path.join(data, "digits_train_x.npy")),
         "labels": np.load(os.path.join(data, "digits_train_y.npy"))}
test = {"x": np.load(os.path.join(data, "digits_test_x.npy")),
        "labels": np.load(os.path.join(data, "digits_test_y.npy"))}

# Every rank returns the same parameters; rank 0 alone gets the history.
history = nnc.train(model_path, data=train, eval_data=test, epochs=5,
                    seed=0, threads=1, distributed=True)
if history:
    for entry in history:
        print(f"epoch {entry['epoch']}: loss {entry['loss']:.4f}, "
              f"test accuracy {entry['eval_accuracy']:.4f}")
    assert history[-1]["eval_accuracy"] > 0.9, "the model should learn"

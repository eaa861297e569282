"""Train the bundled digits MLP with its global gradient norm clipped,
through a hook that sees each step's gradients before they are applied.

Run from the repository root after building:
    PYTHONPATH=build/python /usr/bin/python3 examples/python/clip_gradients.py
"""

import os

import numpy as np

import nnc

MAX_NORM = 1.0

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.dirname(here)
data = os.path.join(examples, "data")
model_path = os.path.join(examples, "mlp_digits.nn")
x_train = np.load(os.path.join(data, "digits_train_x.npy"))
y_train = np.load(os.path.join(data, "digits_train_y.npy"))

norms = []


def clip(step, grads):
    """Scales every gradient by one factor, so that their global norm is at
    most MAX_NORM; the arrays written here are what the optimizer applies."""
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    norms.append(norm)
    if norm > MAX_NORM:
        for g in grads.values():
            g *= MAX_NORM / norm


# Plain SGD: Adam, the model's own optimizer, divides each gradient by its
# running scale, which undoes most of a clip.
history = nnc.train(model_path, data={"x": x_train, "labels": y_train},
                    epochs=3, seed=0, optimizer="sgd", lr=0.2,
                    after_gradients=clip)
for entry in history:
    print(f"epoch {entry['epoch']}: loss {entry['loss']:.4f}")
clipped = sum(n > MAX_NORM for n in norms)
print(f"{len(norms)} steps, {clipped} clipped to norm {MAX_NORM} "
      f"(largest norm {max(norms):.3f})")
assert history[-1]["loss"] < history[0]["loss"], "the loss should fall"

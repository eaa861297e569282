"""Train the bundled digits MLP from Python, then run and differentiate it.

Run from the repository root after building:
    PYTHONPATH=build/python /usr/bin/python3 examples/python/quickstart.py
"""

import os

import numpy as np

import nnc

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.dirname(here)
data = os.path.join(examples, "data")
model_path = os.path.join(examples, "mlp_digits.nn")

x_train = np.load(os.path.join(data, "digits_train_x.npy"))
y_train = np.load(os.path.join(data, "digits_train_y.npy"))
x_test = np.load(os.path.join(data, "digits_test_x.npy"))
y_test = np.load(os.path.join(data, "digits_test_y.npy"))

# Train as `nnc train` does; the history has one entry per epoch.
history = nnc.train(model_path, data={"x": x_train, "labels": y_train},
                    epochs=5, seed=0,
                    callback=lambda e: print(f"epoch {e['epoch']}: "
                                             f"loss {e['loss']:.4f}"))

# Compile the model, load the trained parameters into it, and run it.
model = nnc.compile(model_path)
for name, value in history.params.items():
    model.params[name][...] = value
logits = model.run(x=x_test)["logits"]
accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
print(f"test accuracy: {accuracy:.4f}")

# The loss and the gradient of every parameter, on a few samples.
grads = model.grad(x=x_test[:8], labels=y_test[:8])
print("gradients:", ", ".join(f"{k} {v.shape}" for k, v in sorted(grads.items())
                              if k.startswith("grad_")))
assert accuracy > 0.9, "the trained MLP should classify most digits"

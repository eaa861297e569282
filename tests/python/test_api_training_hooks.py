"""What nnc.train calls back during a run: the epoch callback, the step
callback and the gradient hook, which may steer the step; and how an
exception from one of them, or Ctrl-C, ends the run."""

import os
import signal
import threading

import numpy as np
import pytest

import nnc
from conftest import EXAMPLES


def test_train_callback_sees_each_epoch(digits, mlp_path):
    seen = []
    nnc.train(mlp_path, data={"x": digits[0][:64], "labels": digits[1][:64]},
              eval_data={"x": digits[0][64:96], "labels": digits[1][64:96]},
              epochs=2, batch=32, backend="ref", callback=seen.append)
    assert [e["epoch"] for e in seen] == [1, 2]
    assert all("eval_loss" in e and "eval_accuracy" in e for e in seen)


def test_gradient_hook_sees_and_steers_each_step():
    xor = os.path.join(EXAMPLES, "xor.nn")
    data = {name: np.load(os.path.join(EXAMPLES, "data", f"xor_{name}.npy"))
            for name in ("x", "y")}
    model = nnc.compile(xor, backend="ref")
    start = {name: value.copy() for name, value in model.params.items()}
    grads = model.grad(**data)
    seen, steps = [], []

    def double(step, gradients):
        seen.append((step, sorted(gradients)))
        for name, gradient in gradients.items():
            np.testing.assert_allclose(gradient, grads["grad_" + name],
                                       rtol=1e-6, atol=1e-7)
            gradient *= 2

    history = nnc.train(xor, data=data, epochs=1, batch=4, optimizer="sgd",
                        lr=0.5, backend="ref", shuffle=False,
                        after_gradients=double, on_step=steps.append)
    assert seen == [(1, ["b1", "b2", "w1", "w2"])]
    assert [(s["step"], s["samples"]) for s in steps] == [(1, 4)]
    assert steps[0]["loss"] == pytest.approx(float(grads["loss"]), rel=1e-6)
    for name, value in start.items():
        np.testing.assert_allclose(history.params[name],
                                   value - 2 * 0.5 * grads["grad_" + name],
                                   rtol=1e-6, atol=1e-6)

    def fail(step, gradients):
        raise KeyError("from the hook")

    with pytest.raises(KeyError, match="from the hook"):
        nnc.train(xor, data=data, epochs=2, batch=4, backend="ref",
                  after_gradients=fail)

    def reshape(step, gradients):
        gradients["w1"] = np.zeros(3, np.float32)

    with pytest.raises(ValueError, match="gradient 'w1'"):
        nnc.train(xor, data=data, epochs=2, batch=4, backend="ref",
                  after_gradients=reshape)


def test_callback_exception_ends_training_before_the_next_step(digits,
                                                               mlp_path):
    steps = []

    def stop(entry):
        raise KeyError(f"epoch {entry['epoch']}")

    with pytest.raises(KeyError, match="epoch 1"):
        nnc.train(mlp_path, data={"x": digits[0][:32],
                                  "labels": digits[1][:32]},
                  epochs=3, batch=16, backend="ref", callback=stop,
                  on_step=lambda entry: steps.append(entry["step"]))
    assert steps == [1, 2]


def test_ctrl_c_ends_training_with_keyboard_interrupt(digits, mlp_path):
    # The signal comes while nnc runs, with no Python code on the stack to
    # notice it: the loop checks between steps.
    epochs, interrupt = 20000, threading.Timer(
        0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    steps = []
    interrupt.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            nnc.train(mlp_path, data={"x": digits[0][:32],
                                      "labels": digits[1][:32]},
                      epochs=epochs, batch=32, backend="cpu", threads=1,
                      on_step=lambda entry: steps.append(entry["step"]))
    finally:
        interrupt.cancel()
    assert 0 < len(steps) < epochs


@pytest.mark.parametrize("hook", ["callback", "on_step", "after_gradients"])
def test_an_exception_that_cannot_be_printed_still_ends_training_cleanly(
        tmp_path, digits, mlp_path, hook):
    # Describing the exception raises again. The callback's own exception is
    # raised from nnc.train, and the run ends as for any other: the
    # checkpoint folder's lock released, so the next run may write there.
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    def fail(*args):
        raise Unprintable()

    common = dict(data={"x": digits[0][:64], "labels": digits[1][:64]},
                  epochs=2, batch=32, backend="ref",
                  checkpoint_dir=str(tmp_path / "checkpoint"))
    with pytest.raises(Unprintable):
        nnc.train(mlp_path, **common, **{hook: fail})
    history = nnc.train(mlp_path, **common)
    assert [h["epoch"] for h in history] == [1, 2]

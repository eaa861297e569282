"""nnc.train against `nnc train` (byte for byte) and against steps taken
by hand: accumulation, resuming, clipping, schedules, dropout's masks,
the plot, the report and the profile."""

import os

import numpy as np
import pytest

import nnc
from conftest import EXAMPLES, run_cli


def train_both_ways(tmp_path, mlp_path, x, y, cli_flags, **python_args):
    """nnc.train with `python_args` and `nnc train` with `cli_flags` on the
    same samples, both on cpu with seed 3; asserts that they give the same
    parameter bytes and returns the Python history."""
    history = nnc.train(mlp_path, data={"x": x, "labels": y}, seed=3,
                        backend="cpu", **python_args)
    data = []
    for name, array in (("x", x), ("labels", y)):
        np.save(tmp_path / f"{name}.npy", array)
        data += ["--data", f"{name}={tmp_path / name}.npy"]
    run_cli("train", mlp_path, "--backend", "cpu", "--seed", "3", "--save",
            str(tmp_path / "cli"), *cli_flags, *data)
    for name in ("w1", "b1", "w2", "b2"):
        expected = np.load(tmp_path / "cli" / f"{name}.npy")
        assert history.params[name].tobytes() == expected.tobytes(), name
    return history


def test_train_matches_cli_bytes(tmp_path, digits, mlp_path):
    x, y = digits[0][:96], digits[1][:96]
    history = train_both_ways(
        tmp_path, mlp_path, x, y,
        ["--epochs", "2", "--batch", "32", "--lr", "0.01"],
        epochs=2, batch=32, lr=0.01)
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["loss"] < history[0]["loss"]


def test_accumulation_matches_cli_bytes(tmp_path, digits, mlp_path):
    """accumulate=3 runs the split step as `nnc train --accumulate 3`: 96
    samples in batches of 16 make two steps an epoch."""
    x, y = digits[0][:96], digits[1][:96]
    history = train_both_ways(
        tmp_path, mlp_path, x, y,
        ["--epochs", "2", "--batch", "16", "--lr", "0.01", "--accumulate", "3"],
        epochs=2, batch=16, lr=0.01, accumulate=3)
    assert [h["epoch"] for h in history] == [1, 2]
    plain = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=2,
                      batch=16, lr=0.01, seed=3, backend="cpu")
    # Three times fewer steps than without accumulation: other parameters.
    assert not np.array_equal(history.params["w1"], plain.params["w1"])
    with pytest.raises(ValueError, match="accumulate"):
        nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=1, batch=16,
                  accumulate=0)


def test_a_stopped_run_resumes_to_the_same_bits(tmp_path, digits, mlp_path):
    """max_steps with checkpoint_dir stops mid-run (96 samples at batch 32:
    3 steps an epoch); resume continues to exactly the parameters of a run
    that never stopped."""
    data = {"x": digits[0][:96], "labels": digits[1][:96]}
    common = dict(data=data, epochs=2, batch=32, lr=0.01, seed=3,
                  backend="cpu")
    straight = nnc.train(mlp_path, **common)
    checkpoint = str(tmp_path / "checkpoint")
    stopped = nnc.train(mlp_path, **common, checkpoint_dir=checkpoint,
                        max_steps=4)
    assert [h["epoch"] for h in stopped] == [1]
    assert not np.array_equal(stopped.params["w1"], straight.params["w1"])
    resumed = nnc.train(mlp_path, **common, resume=checkpoint)
    for name in ("w1", "b1", "w2", "b2"):
        assert resumed.params[name].tobytes() == \
            straight.params[name].tobytes(), name


def test_clip_norm_matches_cli_bytes(tmp_path, digits, mlp_path):
    x, y = digits[0][:64], digits[1][:64]
    history = train_both_ways(
        tmp_path, mlp_path, x, y,
        ["--epochs", "1", "--batch", "32", "--lr", "0.5", "--clip-norm",
         "0.25"],
        epochs=1, batch=32, lr=0.5, clip_norm=0.25)
    # The clip acted: without it the same steps go elsewhere.
    plain = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=1,
                      batch=32, lr=0.5, seed=3, backend="cpu")
    assert not np.array_equal(plain.params["w1"], history.params["w1"])


def test_schedule_matches_cli_bytes(tmp_path, digits, mlp_path):
    x, y = digits[0][:96], digits[1][:96]
    train_both_ways(
        tmp_path, mlp_path, x, y,
        ["--epochs", "3", "--batch", "32", "--lr", "0.05", "--schedule",
         "step", "--lr-step-epochs", "1", "--lr-gamma", "0.5"],
        epochs=3, batch=32, lr=0.05, schedule="step", lr_step_epochs=1,
        lr_gamma=0.5)
    for bad, message in ((dict(schedule="cosin"), "constant, step or cosine"),
                         (dict(schedule="step", lr_step_epochs=0),
                          "lr-step-epochs"),
                         (dict(clip_norm=-1.0), "clip-norm")):
        with pytest.raises(ValueError, match=message):
            nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=1, **bad)


def test_train_writes_the_plot_and_the_report(tmp_path, capfd, digits,
                                              mlp_path):
    x, y = digits[0][:96], digits[1][:96]
    plot, report = tmp_path / "out" / "loss.svg", tmp_path / "out" / "run.html"
    nnc.train(mlp_path, data={"x": x, "labels": y},
              eval_data={"x": x[:32], "labels": y[:32]}, epochs=2, batch=32,
              eval_every=2, plot=str(plot), report=str(report))
    chart = plot.read_text()
    assert "<svg" in chart and chart.rstrip().endswith("</svg>")
    page = report.read_text()
    assert "<html" in page.lower() and "</html>" in page.lower()
    # The curve's evaluation loss, at 3 of the 6 steps, is on the page.
    assert "eval" in page.lower()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_train_profile_is_the_commands_table(digits, mlp_path):
    data = {"x": digits[0][:96], "labels": digits[1][:96]}
    fused = nnc.train(mlp_path, data=data, epochs=2, batch=32, profile=True)
    assert fused.profile.startswith(
        "profile of the training steps of batch 32 (kernels by thread time)")
    assert "\n6 steps on " in fused.profile
    # Two graphs for the split step: the gradients, then the update.
    split = nnc.train(mlp_path, data=data, epochs=1, batch=32, accumulate=3,
                      profile=True)
    assert split.profile.count("profile of") == 2
    assert "profile of the optimizer updates" in split.profile
    assert nnc.train(mlp_path, data=data, epochs=1).profile is None


def test_training_loop_in_python_matches_train(digits, mlp_path):
    # Full batches and no shuffling, so both see the same steps.
    x, y = digits[0][:64], digits[1][:64]
    lr, epochs = 0.05, 3
    history = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=epochs,
                        batch=64, optimizer="sgd", lr=lr, seed=0,
                        backend="cpu", shuffle=False)
    model = nnc.compile(mlp_path, backend="cpu", batch=64, train=True)
    losses = []
    for _ in range(epochs):
        grads = model.grad(x=x, labels=y)
        losses.append(float(grads["loss"]))
        for name, value in model.params.items():
            value -= np.float32(lr) * grads["grad_" + name]
    assert losses == pytest.approx([h["loss"] for h in history], rel=1e-5)
    for name, value in model.params.items():
        np.testing.assert_allclose(value, history.params[name], rtol=1e-4,
                                   atol=1e-6)


def test_drop_last_trains_the_full_batches_alone(digits, mlp_path):
    # 70 samples at batch 32 without shuffling: dropping the last 6 is
    # training on the first 64, step for step and bit for bit.
    x, y = digits[0][:70], digits[1][:70]
    steps = []
    dropped = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=2,
                        batch=32, lr=0.05, seed=0, backend="cpu",
                        shuffle=False, drop_last=True, on_step=steps.append)
    first64 = nnc.train(mlp_path, data={"x": x[:64], "labels": y[:64]},
                        epochs=2, batch=32, lr=0.05, seed=0, backend="cpu",
                        shuffle=False)
    assert len(steps) == 4
    for name, value in first64.params.items():
        np.testing.assert_array_equal(dropped.params[name], value)
    kept = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=2, batch=32,
                     lr=0.05, seed=0, backend="cpu", shuffle=False)
    assert any(not np.array_equal(kept.params[name], value)
               for name, value in first64.params.items())


def test_train_takes_the_contracts_arguments_by_position(digits, mlp_path):
    """Up to callback by position, as the contract orders them; the rest
    by name only, so a positional one there cannot bind another option."""
    seen = []
    data = {"x": digits[0][:64], "labels": digits[1][:64]}
    history = nnc.train(mlp_path, data, 1, 32, "sgd", 0.05, [], None,
                        seen.append, backend="ref")
    assert [e["epoch"] for e in seen] == [1] and len(history) == 1
    with pytest.raises(TypeError):
        nnc.train(mlp_path, data, 1, 32, "sgd", 0.05, [], None, None, None)


def test_training_mode_gradient_is_what_the_step_follows(digits):
    # resnet_mlp normalises with batch_norm: in training mode with the
    # batch's statistics. One full-batch sgd step with lr 1 from the same
    # initial values moves each parameter by its gradient plus the weight
    # decay its train section keeps (0.01): p - (g + 0.01 p).
    path = os.path.join(EXAMPLES, "resnet_mlp.nn")
    x, y = digits[0][:32], digits[1][:32]
    model = nnc.compile(path, backend="cpu")
    start = {name: value.copy() for name, value in model.params.items()}
    training = model.grad(training=True, x=x, labels=y)
    evaluation = model.grad(x=x, labels=y)
    assert training["loss"] != evaluation["loss"]
    history = nnc.train(path, data={"x": x, "labels": y}, epochs=1, batch=32,
                        optimizer="sgd", lr=1.0, seed=0, backend="cpu",
                        shuffle=False)
    assert history[0]["loss"] == pytest.approx(float(training["loss"]),
                                               rel=1e-6)
    for name in ("w_in", "w_out", "block_0.gamma", "block_19.w1"):
        expected = start[name] - (training["grad_" + name] +
                                  np.float32(0.01) * start[name])
        np.testing.assert_allclose(expected, history.params[name], rtol=1e-5,
                                   atol=1e-6)


def test_train_takes_source_text_as_compile_does(digits, mlp_path):
    with open(mlp_path) as f:
        source = f.read()
    data = {"x": digits[0][:16], "labels": digits[1][:16]}
    from_text = nnc.train(source, data=data, epochs=1, batch=8, backend="ref")
    from_file = nnc.train(mlp_path, data=data, epochs=1, batch=8, backend="ref")
    for name, value in from_file.params.items():
        assert np.array_equal(from_text.params[name], value), name
    # Its diagnostics name it as compile's do.
    with pytest.raises(nnc.Error, match=r"^training failed: <string>:\d+:\d+: "
                                        r"error: .*nosuch"):
        nnc.train(source.replace("relu(", "nosuch(", 1), data=data, epochs=1)


TWO_DROPOUTS = """model two_dropouts
input x: f32[B, 1000]
param w1: f32[1000] = ones
param w2: f32[1000] = ones
let h = x * w1
loss = reduce_sum(dropout(h, rate=0.5) * w2) + reduce_sum(dropout(h, rate=0.5))
"""


@pytest.mark.parametrize("backend", ["ref", "cpu"])
def test_each_dropout_draws_its_own_mask(backend):
    # Two dropouts of one value with the default seed: no optimization may
    # merge them. w2's gradient is the first mask (times 2); w1's is the sum
    # of both. Independent masks of rate 0.5 agree on about half of the 1000
    # elements, so w1's gradient is 2 on about half of them; one mask
    # drawn twice would make it 0 or 4 everywhere.
    x = np.ones((1, 1000), np.float32)
    model = nnc.compile(TWO_DROPOUTS, backend=backend)
    grads = model.grad(training=True, x=x)
    assert 400 < (grads["grad_w2"] == 0).sum() < 600
    assert 400 < (grads["grad_w1"] == 2).sum() < 600
    # The training step the same way: sgd with lr 1 moves w1 by its
    # gradient.
    seen = []
    nnc.train(TWO_DROPOUTS, data={"x": x}, epochs=1, batch=1, lr=1.0,
              optimizer="sgd", backend=backend,
              after_gradients=lambda step, grads: seen.append(grads["w1"]))
    assert 400 < (seen[0] == 2).sum() < 600


def test_accumulated_batches_draw_their_own_dropout_masks():
    # Two equal samples, one a batch, accumulated into one step: w's
    # gradient is (mask1 + mask2) / 1000 (a kept element is scaled by 2,
    # and the step averages the two batches). One mask for both batches
    # would give only 0 and 2 thousandths; independent ones give 1 where
    # exactly one kept the element, about half of them.
    source = """model d
input x: f32[B, 1000]
param w: f32[1000] = ones
loss = reduce_mean(dropout(x * w, rate=0.5))
"""
    seen = []
    nnc.train(source, data={"x": np.ones((2, 1000), np.float32)}, epochs=1,
              batch=1, accumulate=2, shuffle=False, lr=1e-4, backend="ref",
              after_gradients=lambda step, grads: seen.append(grads["w"]))
    kept = np.rint(seen[0] * 1000).astype(np.int64)
    assert set(np.unique(kept)) <= {0, 1, 2}
    assert 400 < (kept == 1).sum() < 600

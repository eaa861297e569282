"""The Python module against the command line (byte for byte), its
memory promises, its errors, and training from Python."""

import collections.abc
import concurrent.futures
import copy
import os
import pickle
import signal
import pathlib
import threading
import time

import numpy as np
import pytest

import nnc
from conftest import EXAMPLES, run_cli


def save_inputs(tmp_path, **arrays):
    args = []
    for name, array in arrays.items():
        path = tmp_path / f"{name}.npy"
        np.save(path, array)
        args += ["--input", f"{name}={path}"]
    return args


def test_version_and_backends():
    assert nnc.__version__.count(".") == 2
    names = [b["name"] for b in nnc.backends()]
    assert "ref" in names and "cpu" in names


@pytest.mark.parametrize("backend", ["ref", "cpu"])
def test_run_matches_cli_bytes(tmp_path, digits, mlp_path, backend):
    x, y = digits[0][:7], digits[1][:7]
    out = nnc.compile(mlp_path, backend=backend).run(x=x, labels=y)
    run_cli("run", mlp_path, "--backend", backend, "--output-dir",
            str(tmp_path / "cli"), *save_inputs(tmp_path, x=x, labels=y))
    for name in ("logits", "probs", "loss"):
        expected = np.load(tmp_path / "cli" / f"{name}.npy")
        assert out[name].dtype == expected.dtype
        assert out[name].shape == expected.shape
        assert out[name].tobytes() == expected.tobytes(), name


def test_grad_matches_cli_bytes(tmp_path, digits, mlp_path):
    x, y = digits[0][:9], digits[1][:9]
    grads = nnc.compile(mlp_path, backend="cpu").grad(x=x, labels=y)
    run_cli("grad", mlp_path, "--backend", "cpu", "--output-dir",
            str(tmp_path / "cli"), *save_inputs(tmp_path, x=x, labels=y))
    assert sorted(grads) == ["grad_b1", "grad_b2", "grad_w1", "grad_w2",
                             "loss"]
    for name, value in grads.items():
        expected = np.load(tmp_path / "cli" / f"{name}.npy")
        assert value.tobytes() == expected.tobytes(), name


def test_inputs_named_as_grads_keywords_come_in_a_dict(tmp_path):
    source = tmp_path / "named.nn"
    source.write_text(
        "model named\ninput params: f32[B, 2]\ninput training: f32[B, 1]\n"
        "param w: f32[2, 1] = uniform(low=-1, high=1, seed=1)\n"
        "output p = params @ w\nloss = mse(p, training)\n")
    model = nnc.compile(str(source), backend="ref")
    x = np.array([[1, 2], [3, -1]], np.float32)
    y = np.array([[0.5], [1]], np.float32)
    w = model.params["w"].copy()
    grads = model.grad(inputs={"params": x, "training": y})
    # mse's closed form: 2/N * x^T (x w - y), N the element count.
    expected = 2 / 2 * x.T @ (x @ w - y)
    np.testing.assert_allclose(grads["grad_w"], expected, rtol=1e-6)
    # `params`, first as before, still overrides parameters beside them.
    zero = model.grad({"w": np.zeros_like(w)},
                      inputs={"params": x, "training": y})
    np.testing.assert_allclose(zero["grad_w"], 2 / 2 * x.T @ -y, rtol=1e-6)
    np.testing.assert_array_equal(model.run(inputs={"params": x})["p"],
                                  x @ w)
    with pytest.raises(ValueError, match="'params' given twice"):
        model.run(inputs={"params": x}, params=x)
    # Inputs given where parameters go are named as such.
    with pytest.raises(ValueError, match="'params' is an input, not a "
                       "parameter"):
        model.grad({"params": x, "training": y})


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


def test_artifact_runs_as_cli(tmp_path, digits, mlp_path):
    x = digits[0][:4]
    artifact = tmp_path / "mlp.nnx"
    run_cli("compile", mlp_path, "--backend", "cpu", "--batch", "4", "-o",
            str(artifact))
    model = nnc.load(str(artifact))
    out = model.run(x=x)
    run_cli("run", str(artifact), "--output-dir", str(tmp_path / "cli"),
            *save_inputs(tmp_path, x=x))
    expected = np.load(tmp_path / "cli" / "logits.npy")
    assert out["logits"].tobytes() == expected.tobytes()
    with pytest.raises(ValueError, match="input 'x'"):
        model.run(x=digits[0][:5])


def test_outputs_own_fresh_memory(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    first = model.run(x=digits[0][:3])["logits"]
    kept = first.copy()
    second = model.run(x=digits[0][3:6])["logits"]
    assert not np.shares_memory(first, second)
    assert first.tobytes() == kept.tobytes()
    # The array's memory is nnc's tensor, released with the array.
    assert not first.flags.owndata and first.base is not None


def test_params_are_views_of_the_model(tmp_path, digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    w2 = model.params["w2"]
    address = w2.ctypes.data
    before = model.run(x=digits[0][:2])["logits"]
    w2[...] = 0
    model.params["b2"][...] = 1
    after = model.run(x=digits[0][:2])["logits"]
    assert np.array_equal(after, np.ones_like(before))
    # load_params writes into the same memory.
    model.save_params(str(tmp_path / "p"))
    np.save(tmp_path / "p" / "b2.npy", np.full(10, 2, np.float32))
    model.load_params(str(tmp_path / "p"))
    assert model.params["w2"].ctypes.data == address
    assert np.array_equal(model.run(x=digits[0][:2])["logits"],
                          np.full((2, 10), 2, np.float32))


def test_params_assignment_copies_in_and_checks(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    address = model.params["b2"].ctypes.data
    model.params["w2"] = np.zeros((128, 10), np.float32)
    model.params["b2"] = np.full(10, 3, np.float32)
    assert model.params["b2"].ctypes.data == address
    assert np.array_equal(model.run(x=digits[0][:2])["logits"],
                          np.full((2, 10), 3, np.float32))
    with pytest.raises(ValueError, match=r"parameter 'b2': expected f32\[10\]"):
        model.params["b2"] = np.zeros(11, np.float32)
    with pytest.raises(ValueError, match="parameter 'b2': expected dtype f32"):
        model.params["b2"] = np.zeros(10, np.float64)
    with pytest.raises(ValueError, match="parameter 'b2': element 1 holds NaN; "
                                         "parameters must be finite"):
        model.params["b2"] = np.array([0, np.nan] + [0] * 8, np.float32)
    with pytest.raises(ValueError, match="parameter 'b2': element 0 holds an "
                                         "infinity"):
        model.grad(params={"b2": np.full(10, np.inf, np.float32)},
                   x=digits[0][:2], labels=digits[1][:2])
    assert np.array_equal(model.params["b2"], np.full(10, 3, np.float32))
    with pytest.raises(KeyError, match="nosuch"):
        model.params["nosuch"] = np.zeros(10, np.float32)
    with pytest.raises(TypeError, match="cannot be removed"):
        del model.params["b2"]
    assert isinstance(model.params, collections.abc.Mapping)
    assert set(dict(model.params)) == set(model.params.keys())
    assert "w1" in model.params and "nosuch" not in model.params
    assert len(model.params) == len(list(model.params))
    # A key of another type names no parameter either, as in any Mapping.
    assert 5 not in model.params and model.params.get(5, "none") == "none"
    for key in (5, (1, 2), None, ()):
        with pytest.raises(KeyError) as missing:
            model.params[key]
        assert missing.value.args == (key,)


def test_load_params_keeps_what_the_folder_lacks(tmp_path, digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu", seed=5)
    w1 = model.params["w1"].copy()
    np.save(tmp_path / "b1.npy", np.full(128, 0.5, np.float32))
    with pytest.warns(UserWarning, match="no 'w1.npy'"):
        model.load_params(str(tmp_path))
    assert model.params["w1"].tobytes() == w1.tobytes()
    assert np.all(model.params["b1"] == 0.5)
    # A bad file changes nothing, not even the parameters before it.
    np.save(tmp_path / "b1.npy", np.full(128, 0.25, np.float32))
    np.save(tmp_path / "w2.npy", np.zeros((3, 3), np.float32))
    with pytest.raises(nnc.Error, match="w2.npy: parameter 'w2'"):
        model.load_params(str(tmp_path))
    assert np.all(model.params["b1"] == 0.5)
    with pytest.raises(nnc.Error, match="is not a folder"):
        model.load_params(str(tmp_path / "missing"))
    # A parameter must be finite, as --params and the C++ API have it; an
    # infinity was accepted and the outputs became NaN.
    np.save(tmp_path / "w2.npy", np.full((128, 10), np.inf, np.float32))
    with pytest.raises(nnc.Error, match="parameter 'w2': element 0 holds an "
                                        "infinity; parameters must be finite"):
        model.load_params(str(tmp_path))
    (tmp_path / "w2.npy").unlink()
    # A loaded artifact reads a folder the same way.
    artifact = tmp_path / "mlp.nnx"
    run_cli("compile", mlp_path, "--backend", "cpu", "--batch", "2", "-o",
            str(artifact))
    loaded = nnc.load(str(artifact))
    (tmp_path / "only").mkdir()
    np.save(tmp_path / "only" / "b2.npy", np.full(10, 7, np.float32))
    with pytest.warns(UserWarning):
        loaded.load_params(str(tmp_path / "only"))
    assert np.all(loaded.params["b2"] == 7)


def test_equal_dtypes_are_accepted_whatever_their_object(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="ref")
    x = digits[0][:2]
    # A dtype that went through pickle is equal to float32 but not the same
    # object.
    revived = pickle.loads(pickle.dumps(x))
    assert revived.dtype == np.float32
    assert np.array_equal(model.run(x=revived)["logits"],
                          model.run(x=x)["logits"])
    with pytest.raises(ValueError, match="expected dtype f32, got >f4"):
        model.run(x=x.astype(">f4"))


def test_models_and_params_are_made_by_the_module_only(mlp_path):
    """An object made by __new__ alone (as copy and pickle make them) has
    no model behind it: refused, where its methods crashed the process."""
    with pytest.raises(TypeError, match="use nnc.compile or nnc.load"):
        nnc.Model.__new__(nnc.Model)
    with pytest.raises(TypeError, match="use nnc.compile or nnc.load"):
        nnc.Model()
    model = nnc.compile(mlp_path)
    with pytest.raises(TypeError, match="use model.params"):
        type(model.params).__new__(type(model.params))
    with pytest.raises(TypeError):
        copy.copy(model)
    assert "w1" in model.params


def test_paths_may_be_path_like(tmp_path, digits, mlp_path):
    """Every file or folder argument takes a pathlib.Path as a str."""
    model = nnc.compile(pathlib.Path(mlp_path), backend="ref")
    model.save_params(tmp_path / "p")
    model.load_params(tmp_path / "p")
    history = nnc.train(pathlib.Path(mlp_path), data={"x": digits[0][:64],
                                                      "labels": digits[1][:64]},
                        epochs=1, backend="ref", save_dir=tmp_path / "s",
                        checkpoint_dir=tmp_path / "ck", plot=tmp_path / "c.svg")
    assert len(history) == 1
    assert (tmp_path / "s" / "w1.npy").exists() and (tmp_path / "c.svg").exists()
    artifact = tmp_path / "m.nnx"
    run_cli("compile", mlp_path, "--backend", "ref", "--batch", "2", "-o", str(artifact))
    assert nnc.load(artifact).run(x=digits[0][:2])["logits"].shape == (2, 10)
    with pytest.raises(TypeError):
        nnc.load(b"m.nnx")


def test_paths_with_a_null_byte_are_value_errors(tmp_path, mlp_path):
    """As open() refuses them: the C++ side would read the path cut at the
    NUL, and load or write another file than the one named."""
    model = nnc.compile(mlp_path)
    for call in (lambda: nnc.compile(mlp_path + "\0.txt"),
                 lambda: nnc.load(str(tmp_path / "m.nnx") + "\0x"),
                 lambda: model.save_params(str(tmp_path / "p") + "\0q"),
                 lambda: model.load_params(str(tmp_path) + "\0q"),
                 lambda: nnc.train(mlp_path, data={"x": "x\0.npy"}),
                 lambda: nnc.train(mlp_path, data={}, save_dir="out\0")):
        with pytest.raises(ValueError, match="embedded null byte"):
            call()
    assert not (tmp_path / "p").exists()


def test_input_mistakes_are_value_errors(tmp_path, digits, mlp_path):
    model = nnc.compile(mlp_path, backend="ref")
    # A view of 8 bytes whose contiguous copy would take terabytes.
    huge = np.lib.stride_tricks.as_strided(np.zeros(2, np.float32),
                                           shape=(1 << 20, 1 << 20),
                                           strides=(0, 0))
    with pytest.raises(MemoryError, match="input 'x'"):
        model.run(x=huge)
    with pytest.raises(ValueError, match=r"parameter 'w1': expected f32"):
        model.grad(params={"w1": np.zeros((3, 3), np.float32)},
                   x=digits[0][:2], labels=digits[1][:2])
    with pytest.raises(ValueError, match="batch must be at least 1, not 0"):
        nnc.compile(mlp_path, backend="ref", batch=0)
    # An input of no samples does give the batch size, 0; it used to read
    # "no input gives the batch size B".
    with pytest.raises(ValueError, match=r"input 'x' has no samples \(a batch B "
                                         r"of 0\); give one or more"):
        model.run(x=np.zeros((0, 64), np.float32))
    # One sample without its batch axis: 64 would be read as the batch.
    for shape in ((), (64,)):
        with pytest.raises(ValueError, match=r"input 'x' has shape \[(64)?\]; "
                           r"the model declares \[\?, 64\], the batch size B "
                           "first"):
            model.run(x=np.zeros(shape, np.float32))
    # oneTBB would abort the interpreter for such a count.
    with pytest.raises(ValueError, match="threads must be from 0 to 4096, "
                       "got 100000"):
        nnc.compile(mlp_path, backend="ref", threads=100000)
    with pytest.raises(ValueError, match="threads must be from 0 to 4096"):
        nnc.train(mlp_path, data={"x": digits[0][:4],
                                  "labels": digits[1][:4]}, threads=70000)
    # Outside what an unsigned takes, too: the same ValueError, not the
    # conversion's TypeError.
    for threads in (-1, 2**32, 2**70, np.int64(-2)):
        with pytest.raises(ValueError, match=f"got {threads}$"):
            nnc.load(tmp_path / "never-read.nnx", threads=threads)
    with pytest.raises(TypeError):
        nnc.compile(mlp_path, backend="ref", threads=1.5)
    # Any integer: NumPy's too.
    assert nnc.compile(mlp_path, backend="ref", threads=np.int32(1))
    with pytest.raises(ValueError, match="got -1$"):
        nnc.train(mlp_path, data={"x": digits[0][:4],
                                  "labels": digits[1][:4]}, threads=-1)

    class BytesPath:
        def __fspath__(self):
            return b"x.npy"

    for path in (b"x.npy", BytesPath()):
        with pytest.raises(TypeError, match="data 'x': a path is a str"):
            nnc.train(mlp_path, data={"x": path})
    np.save(tmp_path / "x.npy", digits[0][:8])
    np.save(tmp_path / "y.npy", digits[1][:8])
    history = nnc.train(mlp_path, data={"x": tmp_path / "x.npy",
                                        "labels": tmp_path / "y.npy"},
                        epochs=1, batch=4, backend="ref")
    assert len(history) == 1


def test_params_override_for_one_call(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    x, y = digits[0][:4], digits[1][:4]
    zero = {name: np.zeros_like(v) for name, v in model.params.items()}
    grads = model.grad(params=zero, x=x, labels=y)
    # All-zero weights: every class equally likely, loss log(10).
    assert grads["loss"] == pytest.approx(np.log(10), rel=1e-6)
    assert model.grad(x=x, labels=y)["loss"] != grads["loss"]


def test_non_contiguous_inputs_are_copied_once(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="ref")
    x = np.asfortranarray(digits[0][:5])
    assert not x.flags.c_contiguous
    assert np.array_equal(model.run(x=x)["logits"],
                          model.run(x=np.ascontiguousarray(x))["logits"])


def test_errors(tmp_path, digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    with pytest.raises(ValueError, match="input 'x': expected dtype f32"):
        model.run(x=digits[0][:2].astype(np.float64))
    with pytest.raises(ValueError, match=r"input 'x': expected f32\[2, 64\]"):
        model.run(x=np.zeros((2, 63), np.float32))
    with pytest.raises(ValueError, match="no input 'z'"):
        model.run(x=digits[0][:2], z=digits[0][:2])
    with pytest.raises(ValueError, match="missing input 'x'"):
        model.run(labels=digits[1][:2])
    with pytest.raises(ValueError, match="disagree on the batch size"):
        model.run(x=digits[0][:2], labels=digits[1][:3])
    with pytest.raises(nnc.Error, match="cannot read '.*missing.nn'"):
        nnc.compile(str(tmp_path / "missing.nn"))
    # The compiler's diagnostics are the exception's message, located in
    # the source: nothing is printed instead.
    with pytest.raises(nnc.Error, match=r"^<string>:3:12: error: .*nosuch"):
        nnc.compile("model broken\ninput x: f32[B, 4]\noutput y = nosuch(x)\n")
    # So are a kernel's errors at run time.
    losses = nnc.compile("model m\ninput x: f32[B, 3]\ninput y: i32[B]\n"
                         "loss = softmax_cross_entropy(x, y)\n")
    with pytest.raises(nnc.Error, match=r"\(kernel 0 at <string>:4:8\): .*index 7 "
                       r"is out of range \[0, 3\)"):
        losses.run(x=np.zeros((2, 3), np.float32), y=np.array([0, 7], np.int32))
    with pytest.raises(nnc.Error, match=r"bad.nn:7:16: error: matmul: "
                       r"cannot multiply \[\?, 64\] by \[32, 10\]"):
        nnc.compile(os.path.join(EXAMPLES, "bad.nn"))
    with pytest.raises(nnc.Error, match="no backend named 'nosuch'"):
        nnc.compile(mlp_path, backend="nosuch")
    with pytest.raises(nnc.Error):
        nnc.load(os.path.join(EXAMPLES, "mlp_digits.nn"))


def anonymous_memory_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    pytest.skip("no RssAnon in /proc/self/status")


def peak_anonymous_growth(call):
    """The most the process's anonymous memory grew above its level before
    `call`, sampled by a thread while `call` runs (the GIL is released
    while a graph runs)."""
    import threading
    import time
    base = anonymous_memory_bytes()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], anonymous_memory_bytes())
            time.sleep(0.0002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = call()
    finally:
        done.set()
        sampler.join()
    return peak[0] - base, result


def test_contiguous_inputs_are_read_in_place(tmp_path):
    # Inputs mapped from a file: their pages are the file's, so reading them
    # in place adds no anonymous memory, while a copy anywhere between the
    # call and the kernels (the binding, the runtime) adds a whole one.
    rows, width = 16 * 1024, 1024
    mib = rows * width * 4
    model = nnc.compile("model sums\ninput x: f32[B, 1024]\n"
                        "output s = reduce_sum(x, axes=1)\n", backend="cpu")
    np.save(tmp_path / "x.npy", np.ones((rows, width), np.float32))
    np.save(tmp_path / "xt.npy", np.ones((width, rows), np.float32))
    x = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert x.flags.c_contiguous
    model.run(x=x)  # the arena and the result tensors of this batch size
    grown, result = peak_anonymous_growth(
        lambda: [model.run(x=x)["s"] for _ in range(3)])
    assert np.all(result[-1] == width)
    assert grown < mib // 4, f"{grown} bytes of anonymous memory"
    # The control: a transposed (Fortran-order) view is copied once.
    xt = np.load(tmp_path / "xt.npy", mmap_mode="r").T
    assert not xt.flags.c_contiguous
    grown, result = peak_anonymous_growth(lambda: model.run(x=xt)["s"])
    assert np.all(result == width)
    assert grown >= mib * 3 // 4, f"{grown} bytes of anonymous memory"


def test_source_text():
    model = nnc.compile("model twice\ninput x: f32[B, 3]\noutput y = x * 2.0\n",
                        backend="ref")
    y = model.run(x=np.arange(6, dtype=np.float32).reshape(2, 3))["y"]
    assert np.array_equal(y, np.arange(6, dtype=np.float32).reshape(2, 3) * 2)


def test_threads_drive_models_concurrently(digits, mlp_path):
    models = [nnc.compile(mlp_path, backend="cpu", seed=s) for s in (1, 2)]
    batches = [digits[0][i * 16:(i + 1) * 16] for i in range(8)]
    expected = [models[i % 2].run(x=b)["logits"] for i, b in
                enumerate(batches)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda ib: models[ib[0] % 2].run(x=ib[1])[
            "logits"], enumerate(batches)))
    for a, b in zip(got, expected):
        assert a.tobytes() == b.tobytes()


def test_a_loaded_artifacts_parameters_are_checked_as_a_compiled_models(
        tmp_path, digits, mlp_path):
    artifact = tmp_path / "mlp.nnx"
    run_cli("compile", mlp_path, "--backend", "ref", "--batch", "2", "-o",
            str(artifact))
    model = nnc.load(artifact)
    with pytest.raises(ValueError, match="parameter 'b2': element 0 holds an "
                                         "infinity; parameters must be finite"):
        model.params["b2"] = np.full(10, np.inf, np.float32)
    model.params["b2"] = np.full(10, 2, np.float32)
    assert np.array_equal(model.params["b2"], np.full(10, 2, np.float32))


def test_assignment_waits_for_a_run_on_another_thread():
    """Runs see the whole old or the whole new value of a parameter that
    another thread assigns (or loads) meanwhile, never half of each."""
    model = nnc.compile("input x: f32[B, 512]\nparam w: f32[512, 512] = "
                        "zeros\noutput y = x @ w\n", backend="cpu", threads=1)
    x = np.ones((8, 512), np.float32)
    values = [np.zeros((512, 512), np.float32), np.ones((512, 512), np.float32)]
    stop = threading.Event()

    def assign():
        i = 0
        while not stop.is_set():
            model.params["w"] = values[i % 2]
            i += 1

    writer = threading.Thread(target=assign)
    writer.start()
    try:
        for _ in range(300):
            y = model.run(x=x)["y"]
            assert (y == 0).all() or (y == 512).all()
    finally:
        stop.set()
        writer.join()


def ticks_during(calls, trimmed_end):
    """Runs `calls` one after another while a thread ticks every
    millisecond, which it cannot while the calling thread holds the GIL.
    Returns each call's window (its start and end, trimmed by 1 ms and
    `trimmed_end` s) and the ticks that fell inside one."""
    ticks, windows, done = [], [], threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        for call in calls:
            start = time.perf_counter()
            call()
            windows.append((start + 0.001, time.perf_counter() - trimmed_end))
    finally:
        done.set()
        ticker.join()
    inside = [t for t in ticks
              if any(start < t < end for start, end in windows)]
    return windows, inside


def test_other_threads_run_while_a_model_compiles(monkeypatch):
    # A first run at a batch size compiles the tiny GPT's forward function,
    # here without the kernel cache (a tenth of a second or more), then
    # runs it (about a millisecond at these batch sizes, with the GIL
    # released in any case): only the compiling part of each call is
    # looked at.
    monkeypatch.setenv("NNC_NO_CACHE", "1")
    model = nnc.compile(os.path.join(EXAMPLES, "tiny_gpt.nn"), backend="cpu")
    runs = [lambda batch=batch: model.run(ids=np.zeros((batch, 64), np.int32))
            for batch in (1, 2, 3)]
    windows, inside = ticks_during(runs, trimmed_end=0.01)
    assert sum(end - start for start, end in windows) > 0.1, windows
    assert len(inside) >= 20, (windows, len(inside))


def test_other_threads_run_while_a_model_is_compiled_or_loaded(tmp_path):
    # What nnc.compile does without a batch (parse the tiny GPT, lower it,
    # draw its parameters) and what nnc.load does (read and check an
    # artifact and its plugin, copy the weights): a tenth of a second or so
    # each on the machines the tests run on.
    gpt = os.path.join(EXAMPLES, "tiny_gpt.nn")
    artifact = tmp_path / "gpt.nnx"
    run_cli("compile", gpt, "--backend", "cpu", "--batch", "1", "-o",
            str(artifact))
    calls = (lambda: nnc.compile(gpt), lambda: nnc.load(artifact)) * 3
    windows, inside = ticks_during(calls, trimmed_end=0.005)
    held = sum(max(0.0, end - start) for start, end in windows)
    assert held > 0.05, windows
    # A tick every 1 ms when the GIL is free; none while a call holds it.
    assert len(inside) >= held / 0.005, (windows, len(inside))


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


def test_train_callback_sees_each_epoch(digits, mlp_path):
    seen = []
    nnc.train(mlp_path, data={"x": digits[0][:64], "labels": digits[1][:64]},
              eval_data={"x": digits[0][64:96], "labels": digits[1][64:96]},
              epochs=2, batch=32, backend="ref", callback=seen.append)
    assert [e["epoch"] for e in seen] == [1, 2]
    assert all("eval_loss" in e and "eval_accuracy" in e for e in seen)


def test_compile_starts_from_the_train_sections_seed(tmp_path, mlp_path):
    """As the CLI does: without seed, the parameters a training run of the
    model starts from (its train { seed }); an explicit seed wins."""
    source = open(mlp_path).read().replace("  seed = 0\n", "  seed = 7\n")
    assert "seed = 7" in source
    model_path = tmp_path / "seeded.nn"
    model_path.write_text(source)
    x = np.zeros((2, 64), np.float32)
    np.save(tmp_path / "x.npy", x)
    run_cli("run", str(model_path), "--backend", "ref", "--input",
            f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "out"),
            "--params-out", str(tmp_path / "cli"))
    default = nnc.compile(model_path, backend="ref")
    explicit = nnc.compile(model_path, backend="ref", seed=0)
    for name, value in default.params.items():
        np.testing.assert_array_equal(value, np.load(tmp_path / "cli" / f"{name}.npy"))
    assert not np.array_equal(default.params["w1"], explicit.params["w1"])


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


def test_wrong_data_for_train_is_an_error(digits, mlp_path):
    with pytest.raises(ValueError, match="data 'x'"):
        nnc.train(mlp_path, data={"x": object(), "labels": digits[1][:4]})
    # A key is input names, never part of a path.
    with pytest.raises(ValueError, match="data key 'x=/etc/passwd,labels': "
                                         "input names"):
        nnc.train(mlp_path, data={"x=/etc/passwd,labels": "d.csv"})
    # A label outside the 10 classes is found when the data loads.
    with pytest.raises(nnc.Error, match="training failed: data 'labels': .*sample 0 "
                                        "holds 99, outside the classes \\[0, 10\\)"):
        nnc.train(mlp_path, data={"x": digits[0][:4],
                                  "labels": np.full(4, 99, np.int32)},
                  epochs=1, batch=4, backend="cpu")


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


def test_train_prints_nothing_and_names_what_failed(capfd, digits, mlp_path):
    x, y = digits[0][:8].copy(), digits[1][:8]
    history = nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=1,
                        batch=4, backend="ref")
    assert len(history) == 1
    x[3, 5] = np.nan
    with pytest.raises(nnc.Error, match="x: sample 3 holds NaN"):
        nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=1, batch=4,
                  backend="ref")
    # The evaluation data's arrays are named as such.
    with pytest.raises(nnc.Error, match="eval data 'x': x: sample 3 holds NaN"):
        nnc.train(mlp_path, data={"x": digits[0][:8], "labels": y},
                  eval_data={"x": x, "labels": y}, epochs=1, batch=4,
                  backend="ref")
    with pytest.raises(ValueError, match="epochs must be at least 1, not 0"):
        nnc.train(mlp_path, data={"x": x, "labels": y}, epochs=0)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_nan_in_an_input_without_the_batch_dimension_is_refused(tmp_path):
    """Such an input is part of the model (a mask): NaN is refused, as
    nnc run, train and eval refuse it, by a compiled model and a loaded
    artifact alike; a -inf is what masks hold."""
    source = tmp_path / "mask.nn"
    source.write_text("input x: f32[B, 4]\ninput mask: f32[4]\n"
                      "output y = x + mask\n")
    artifact = tmp_path / "mask.nnx"
    run_cli("compile", str(source), "--backend", "ref", "--batch", "2", "-o",
            str(artifact))
    for model in (nnc.compile(str(source), backend="ref"),
                  nnc.load(str(artifact))):
        mask = np.array([0, -np.inf, 0, 0], np.float32)
        x = np.ones((2, 4), np.float32)
        assert np.isneginf(model.run(x=x, mask=mask)["y"][:, 1]).all()
        mask[2] = np.nan
        with pytest.raises(ValueError, match="mask: element 2 holds NaN; an "
                                             "input without the batch dimension "
                                             "may hold infinities, not NaN"):
            model.run(x=x, mask=mask)


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

"""The Python module against the command line, byte for byte: what run,
grad and a loaded artifact give, the parameters compile starts from, and
inputs and parameters given for one call."""

import numpy as np
import pytest

import nnc
from conftest import run_cli


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


def test_params_override_for_one_call(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    x, y = digits[0][:4], digits[1][:4]
    zero = {name: np.zeros_like(v) for name, v in model.params.items()}
    grads = model.grad(params=zero, x=x, labels=y)
    # All-zero weights: every class equally likely, loss log(10).
    assert grads["loss"] == pytest.approx(np.log(10), rel=1e-6)
    assert model.grad(x=x, labels=y)["loss"] != grads["loss"]


def test_source_text():
    model = nnc.compile("model twice\ninput x: f32[B, 3]\noutput y = x * 2.0\n",
                        backend="ref")
    y = model.run(x=np.arange(6, dtype=np.float32).reshape(2, 3))["y"]
    assert np.array_equal(y, np.arange(6, dtype=np.float32).reshape(2, 3) * 2)


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

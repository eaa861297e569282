"""The module's memory promises: outputs own fresh memory, parameters are
views of the model's (assigned and loaded in place, and checked), and
contiguous inputs are read where they lie."""

import collections.abc

import numpy as np
import pytest

import nnc
from conftest import run_cli


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


def test_non_contiguous_inputs_are_copied_once(digits, mlp_path):
    model = nnc.compile(mlp_path, backend="ref")
    x = np.asfortranarray(digits[0][:5])
    assert not x.flags.c_contiguous
    assert np.array_equal(model.run(x=x)["logits"],
                          model.run(x=np.ascontiguousarray(x))["logits"])


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

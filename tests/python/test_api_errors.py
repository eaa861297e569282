"""The module's errors: what compile, load, run, grad and train refuse
(wrong inputs, dtypes, paths, data, options), as which exception and with
which message, nothing printed; and the arguments they take besides str
and float32 arrays."""

import copy
import os
import pathlib
import pickle
import warnings

import numpy as np
import pytest

import nnc
from conftest import EXAMPLES, run_cli


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
    # Nor through a base class's __new__, which the type's slot refuses.
    for cls in (nnc.Model, type(model.params)):
        for base in cls.__mro__[1:]:
            with pytest.raises(TypeError, match="is not safe"):
                base.__new__(cls)
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


def test_file_names_that_are_no_utf8_work_as_with_open(tmp_path, digits,
                                                       mlp_path):
    """Linux file names are bytes; one that is no UTF-8 reaches Python with
    its bytes escaped (os.fsdecode), and open() takes it back as it came.
    So does every path argument; and such a str, which names no parameter,
    is a key like any other unknown one."""
    def odd(name):
        return os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff" + name)
    source = odd(b".nn")
    with open(mlp_path) as original, open(source, "w") as copy_:
        copy_.write(original.read())
    model = nnc.compile(source, backend="ref")
    model.save_params(odd(b"params"))
    assert os.path.exists(os.path.join(odd(b"params"), "w1.npy"))
    model.load_params(odd(b"params"))
    np.save(odd(b"x.npy"), digits[0][:64])
    history = nnc.train(source, data={"x": odd(b"x.npy"),
                                      "labels": digits[1][:64]},
                        epochs=1, backend="ref")
    assert len(history) == 1
    assert "\udcff" not in model.params
    with pytest.raises(KeyError):
        model.params["\udcff"]
    with pytest.raises(KeyError):
        model.params["\udcff"] = np.zeros(2, np.float32)


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


def test_errors(tmp_path, digits, mlp_path):
    model = nnc.compile(mlp_path, backend="cpu")
    with pytest.raises(ValueError, match="input 'x': expected dtype f32"):
        model.run(x=digits[0][:2].astype(np.float64))
    with pytest.raises(ValueError,
                       match=r"input 'x': expected f32\[\?, 64\], got f32\[2, 63\]"):
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


def test_a_wrong_feature_count_is_refused_before_anything_compiles():
    """The batch size comes from the inputs, and a graph is compiled for it
    on first use: an input of the wrong shape is refused first, so that it
    costs no compile and leaves no graph behind. Compiling this model's
    gradient warns (a parameter that misses the loss), which shows when a
    compile happened."""
    model = nnc.compile("input x: f32[B, 4]\nparam w: f32[4, 2] = ones\n"
                        "param unused: f32[2] = zeros\n"
                        "output y = x @ w\nloss = reduce_mean(y)\n", backend="ref")
    wrong = np.ones((1 << 20, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"input 'x': expected f32\[\?, 4\], "
                                             r"got f32\[1048576, 3\]"):
            model.grad(x=wrong)
        with pytest.raises(ValueError, match=r"expected f32\[\?, 4\]"):
            model.run(x=wrong)
    with pytest.warns(UserWarning, match="'unused' does not reach the loss"):
        model.grad(x=np.ones((1 << 20, 4), np.float32))

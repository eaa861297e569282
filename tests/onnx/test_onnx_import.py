"""`nnc import`, and `nnc run|check` of an .onnx file, against PyTorch.

CTest sets NNC (the nnc binary) and NNC_ONNX_WORK (a scratch folder). The
models of models.py are exported once per session by export_models.py, with
PyTorch's outputs and resnet's gradients as the truth; without torch or onnx
those tests skip and only the committed golden mlp export (golden/) and the
error cases that need no export run.
"""

import importlib.util
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from nnc_cli import NNC, nnc

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
MODELS = ("mlp", "lenet", "resnet", "transformer", "zoo")
INPUT_NAMES = {"mlp": "x", "lenet": "x", "resnet": "x", "transformer": "ids", "zoo": "x"}
BACKENDS = ("ref", "cpu")
BATCHES = (1, 5)

HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "onnx"))
HAVE_ONNX = importlib.util.find_spec("onnx") is not None

pytestmark = pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary")
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed to export the models")
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="the onnx package is needed to build the model")


def assert_close(actual, expected, rtol, what):
    # A fixed atol would be meaningless across models whose outputs differ in
    # scale by orders of magnitude. Reordered f32 sums (GEMM blocking,
    # reductions split across threads) err by a few ulps of the largest
    # terms, not of each result, so elements near zero get an absolute
    # allowance of rtol times the tensor's largest magnitude.
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    atol = rtol * max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    root = os.environ.get("NNC_ONNX_WORK")
    if not root:
        return str(tmp_path_factory.mktemp("onnx"))
    # A subfolder emptied first, so that outputs of an earlier run can never
    # pass for this one's.
    path = os.path.join(root, "onnx-import")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


@pytest.fixture(scope="session")
def exported(work):
    """The folder export_models.py wrote the models and their truth into."""
    if not HAVE_TORCH:
        pytest.skip("torch and onnx are needed to export the models")
    out = os.path.join(work, "export")
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_models.py"), out],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def imported(exported, work):
    """Imports each model once, on first use: name -> (model.nn, params folder)."""
    cache = {}

    def get(name):
        if name not in cache:
            nn = os.path.join(work, name + ".nn")
            params = os.path.join(work, name + ".params")
            nnc("import", os.path.join(exported, name + ".onnx"), "-o", nn, "--params-out", params)
            assert os.path.isfile(nn), f"import wrote no {nn}"
            assert os.path.isdir(params) and os.listdir(params), f"import wrote no parameters into {params}"
            cache[name] = (nn, params)
        return cache[name]

    return get


@needs_torch
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch", BATCHES)
def test_imported_model_matches_pytorch(name, backend, batch, exported, imported, work):
    nn, params = imported(name)
    out = os.path.join(work, f"out.{name}.{backend}.b{batch}")
    x = os.path.join(exported, f"{name}.in.b{batch}.npy")
    nnc("run", nn, "--params", params, "--input", f"{INPUT_NAMES[name]}={x}",
        "--output-dir", out, "--backend", backend)
    assert_close(np.load(os.path.join(out, "logits.npy")),
                 np.load(os.path.join(exported, f"{name}.out.b{batch}.npy")),
                 1e-5, f"{name} on {backend}, batch {batch}")


@needs_torch
@pytest.mark.parametrize("name", MODELS)
def test_run_onnx_directly(name, exported, work):
    onnx_file = os.path.join(exported, name + ".onnx")
    nnc("check", onnx_file)
    out = os.path.join(work, f"out.{name}.direct")
    x = os.path.join(exported, f"{name}.in.b5.npy")
    nnc("run", onnx_file, "--input", f"{INPUT_NAMES[name]}={x}", "--output-dir", out)
    assert_close(np.load(os.path.join(out, "logits.npy")),
                 np.load(os.path.join(exported, f"{name}.out.b5.npy")),
                 1e-5, f"{name} run from the .onnx")


@needs_torch
@pytest.mark.parametrize("name,opset", [("lenet", 11), ("transformer", 17), ("zoo", 11)])
def test_other_opsets(name, opset, work):
    # Opset 11 gives Unsqueeze its axes as an attribute rather than an input;
    # opset 17 exports LayerNormalization as one node rather than nine.
    out = os.path.join(work, f"export.opset{opset}")
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_models.py"), out,
                           "--models", name, "--opset", str(opset)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    x = os.path.join(out, f"{name}.in.b5.npy")
    result = os.path.join(work, f"out.{name}.opset{opset}")
    nnc("run", os.path.join(out, name + ".onnx"), "--input", f"{INPUT_NAMES[name]}={x}",
        "--output-dir", result, "--backend", "ref")
    assert_close(np.load(os.path.join(result, "logits.npy")),
                 np.load(os.path.join(out, f"{name}.out.b5.npy")),
                 1e-5, f"{name} exported at opset {opset}")


@needs_torch
@pytest.mark.parametrize("backend", BACKENDS)
def test_resnet_gradients_match_pytorch(backend, exported, imported, work):
    nn, params = imported("resnet")
    with_loss = os.path.join(work, "resnet_loss.nn")
    with open(nn) as f:
        source = f.read()
    with open(with_loss, "w") as f:
        f.write(source.rstrip("\n") + "\n\ninput labels: i32[B]\n"
                "loss = softmax_cross_entropy(logits, labels)\n")
    grads = os.path.join(work, f"grads.resnet.{backend}")
    nnc("grad", with_loss, "--params", params,
        "--input", "x=" + os.path.join(exported, "resnet.in.b5.npy"),
        "--input", "labels=" + os.path.join(exported, "resnet.labels.b5.npy"),
        "--output-dir", grads, "--backend", backend)
    truth_dir = os.path.join(exported, "resnet.grads")
    truth = sorted(f[:-4] for f in os.listdir(truth_dir))
    got = sorted(f[len("grad_"):-4] for f in os.listdir(grads)
                 if f.startswith("grad_") and f.endswith(".npy"))
    assert got == truth, "nnc grad and PyTorch differ on which parameters are trainable"
    for name in truth:
        # Backpropagation sums over the batch and spatial positions in a
        # different order than PyTorch, and BN's scaling amplifies it: 1e-4.
        assert_close(np.load(os.path.join(grads, f"grad_{name}.npy")),
                     np.load(os.path.join(truth_dir, name + ".npy")),
                     1e-4, f"gradient of {name} on {backend}")


def test_golden_mlp(work):
    """The committed export: tested even where torch is not installed."""
    onnx_file = os.path.join(GOLDEN, "mlp_opset13.onnx")
    x = os.path.join(GOLDEN, "mlp_opset13.in.b5.npy")
    expected = np.load(os.path.join(GOLDEN, "mlp_opset13.out.b5.npy"))
    nn = os.path.join(work, "golden_mlp.nn")
    params = os.path.join(work, "golden_mlp.params")
    nnc("import", onnx_file, "-o", nn, "--params-out", params)
    for backend in BACKENDS:
        out = os.path.join(work, f"out.golden.{backend}")
        nnc("run", nn, "--params", params, "--input", "x=" + x, "--output-dir", out,
            "--backend", backend)
        assert_close(np.load(os.path.join(out, "logits.npy")), expected, 1e-5,
                     f"golden mlp on {backend}")
    out = os.path.join(work, "out.golden.direct")
    nnc("run", onnx_file, "--input", "x=" + x, "--output-dir", out)
    assert_close(np.load(os.path.join(out, "logits.npy")), expected, 1e-5, "golden mlp from the .onnx")


def test_golden_mlp_through_the_other_commands(work):
    """ir, compile and bench take the .onnx file too; the compiled artifact
    carries the imported weights and runs to PyTorch's outputs."""
    onnx_file = os.path.join(GOLDEN, "mlp_opset13.onnx")
    x = os.path.join(GOLDEN, "mlp_opset13.in.b5.npy")
    expected = np.load(os.path.join(GOLDEN, "mlp_opset13.out.b5.npy"))
    ir = nnc("ir", onnx_file).stdout
    assert "nn.matmul" in ir and 'nn.name = "fc1_weight"' in ir, ir
    artifact = os.path.join(work, "golden_mlp.nnx")
    compiled = nnc("compile", onnx_file, "-o", artifact, "--batch", 5)
    assert "untrained" not in compiled.stderr, compiled.stderr
    out = os.path.join(work, "out.golden.artifact")
    nnc("run", artifact, "--input", "x=" + x, "--output-dir", out)
    assert_close(np.load(os.path.join(out, "logits.npy")), expected, 1e-5,
                 "golden mlp compiled from the .onnx")
    bench = nnc("bench", onnx_file, "--batch", 5, "--warmup", 1, "--repeat", 2)
    assert "samples/s" in bench.stdout, bench.stdout


def assert_failed_cleanly(nn, params):
    assert not os.path.exists(nn), f"a failed import wrote {nn}"
    assert not os.path.exists(params) or not os.listdir(params), \
        f"a failed import wrote parameters into {params}"


def test_an_import_that_fails_writing_leaves_the_last_one_whole(tmp_path):
    """The weights and the program are one write: a weight that cannot be
    written (a folder where it goes, as a full disk fails partway) leaves
    the previous import's files as they were, where the weights before it
    were replaced and the program not."""
    model = os.path.join(GOLDEN, "mlp_opset13.onnx")
    nn, params = tmp_path / "m.nn", tmp_path / "w"
    nnc("import", model, "-o", nn, "--params-out", params)
    before = {p.name: p.read_bytes() for p in params.iterdir()}
    before_nn = nn.read_bytes()
    # Changed files would show whether anything was replaced.
    for name in before:
        (params / name).write_bytes(b"previous " + name.encode())
    nn.write_text("previous program")
    (params / "fc2_weight.npy").unlink()
    (params / "fc2_weight.npy").mkdir()
    done = nnc("import", model, "-o", nn, "--params-out", params, expect=1)
    assert "fc2_weight.npy: is a directory" in done.stderr, done.stderr
    assert nn.read_text() == "previous program"
    for name in before:
        if name != "fc2_weight.npy":
            assert (params / name).read_bytes() == b"previous " + name.encode(), name
    assert sorted(p.name for p in params.iterdir()) == sorted(before), \
        "a temporary file was left behind"
    (params / "fc2_weight.npy").rmdir()
    nnc("import", model, "-o", nn, "--params-out", params)
    assert nn.read_bytes() == before_nn
    assert {p.name: p.read_bytes() for p in params.iterdir()} == before


def test_truncated_file_is_one_line_error(tmp_path):
    with open(os.path.join(GOLDEN, "mlp_opset13.onnx"), "rb") as f:
        data = f.read()
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(data[:len(data) // 2])
    nn, params = tmp_path / "t.nn", tmp_path / "t.params"
    done = nnc("import", bad, "-o", nn, "--params-out", params, expect=1)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert_failed_cleanly(nn, params)


def test_missing_file_is_one_line_error(tmp_path):
    nn, params = tmp_path / "m.nn", tmp_path / "m.params"
    done = nnc("import", tmp_path / "absent.onnx", "-o", nn, "--params-out", params, expect=1)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "absent.onnx" in lines[0], done.stderr
    assert_failed_cleanly(nn, params)


@needs_onnx
def test_unsupported_ops_are_all_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    opset = 13
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    outputs = [helper.make_tensor_value_info("h", TensorProto.FLOAT, [2, 3]),
               helper.make_tensor_value_info("nz", TensorProto.INT64, [2, None])]
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="fine_relu"),
             helper.make_node("Hardmax", ["r"], ["h"], name="the_hardmax"),
             helper.make_node("NonZero", ["x"], ["nz"], name="the_nonzero")]
    graph = helper.make_graph(nodes, "unsupported", [x], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    path = tmp_path / "unsupported.onnx"
    onnx.save(model, str(path))

    nn, params = tmp_path / "u.nn", tmp_path / "u.params"
    done = nnc("import", path, "-o", nn, "--params-out", params, expect=1)
    for name, op in (("the_hardmax", "Hardmax"), ("the_nonzero", "NonZero")):
        assert any(name in line and op in line and str(opset) in line
                   for line in done.stderr.splitlines()), \
            f"stderr does not name node {name} ({op}, opset {opset}):\n{done.stderr}"
    assert "fine_relu" not in done.stderr, done.stderr
    assert_failed_cleanly(nn, params)


def test_hostile_names_import_and_run(tmp_path):
    """ONNX names are arbitrary bytes; they reach comments and identifiers
    of the program, which must stay valid text, one line per statement."""
    import onnx
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weight = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    names = {"input": "in put\n#x", "weight": "w\u00e9ight.0", "out": "let"}
    nodes = [helper.make_node("MatMul", [names["input"], names["weight"]], ["m"],
                              name="mat\nmul \xff"),
             helper.make_node("Relu", ["m"], [names["out"]], name="\x00relu")]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(names["input"], TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info(names["out"], TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(weight, names["weight"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path / "names.onnx"
    onnx.save(model, str(path))
    nn, params = tmp_path / "names.nn", tmp_path / "names.params"
    nnc("import", path, "-o", nn, "--params-out", params)
    text = nn.read_text()
    assert "\x00" not in text
    # The newline in the input's name stays inside the comment's one line.
    assert "input in_put__x: f32[B, 4]  # in put?#x\n" in text, text
    x = np.array([[1, -2, 3, 4], [0.5, 0, -1, 2]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    nnc("run", nn, "--params", params, "--input", f"in_put__x={tmp_path / 'x.npy'}",
        "--output-dir", out)
    result = np.load(out / "let_.npy")
    np.testing.assert_allclose(result, np.maximum(x @ weight, 0), rtol=1e-6)


def test_an_input_named_like_the_batch_symbol_is_renamed(tmp_path):
    """`B` is the program's batch symbol: an input of that name becomes B_."""
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node("Relu", ["B"], ["y"])], "g",
        [helper.make_tensor_value_info("B", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    path = tmp_path / "b.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    nn, params = tmp_path / "b.nn", tmp_path / "b.params"
    nnc("import", path, "-o", nn, "--params-out", params)
    assert "input B_: f32[B, 4]  # B\n" in nn.read_text(), nn.read_text()
    x = np.array([[1, -2, 3, -4]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    nnc("run", nn, "--input", f"B_={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "out")
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), np.maximum(x, 0))


def test_output_that_is_the_model_is_refused(tmp_path):
    """-o naming the model, directly or through a link, must not replace it."""
    victim = tmp_path / "victim.onnx"
    shutil.copy(os.path.join(GOLDEN, "mlp_opset13.onnx"), victim)
    original = victim.read_bytes()
    alias = tmp_path / "alias.nn"
    os.symlink(victim, alias)
    params = tmp_path / "p"
    for output in (victim, alias):
        done = nnc("import", victim, "-o", output, "--params-out", params, expect=1)
        assert done.stderr == f"error: cannot write '{output}': it is the input '{victim}', " \
                              "which the command reads\n", done.stderr
        assert victim.read_bytes() == original, f"-o {output} changed the model"
        assert not params.exists(), "a refused import wrote parameters"


def test_outputs_over_the_models_files_are_refused(tmp_path):
    """No weight NAME.npy and no -o may replace the model or its external
    data: an import into the model's own folder must not destroy it."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "w"),
         numpy_helper.from_array(np.ones(3, np.float32), "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    # The model itself named like a weight, in the --params-out folder.
    onnx.save(model, str(tmp_path / "w.npy"))
    # Its weights in an external file named like a weight, and in another
    # that -o names.
    for folder, location in (("ext", "b.npy"), ("data", "m.data")):
        (tmp_path / folder).mkdir()
        copy = onnx.ModelProto()
        copy.CopyFrom(model)  # saving moves the copy's weights out
        onnx.save_model(copy, str(tmp_path / folder / "m.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=location, size_threshold=0)
    cases = [(tmp_path / "w.npy", tmp_path / "m.nn", tmp_path, tmp_path / "w.npy"),
             (tmp_path / "ext" / "m.onnx", tmp_path / "ext" / "m.nn", tmp_path / "ext",
              tmp_path / "ext" / "b.npy"),
             (tmp_path / "data" / "m.onnx", tmp_path / "data" / "m.data", tmp_path / "data" / "p",
              tmp_path / "data" / "m.data")]
    for model_file, program, params, victim in cases:
        original = victim.read_bytes()
        done = nnc("import", model_file, "-o", program, "--params-out", params, expect=1)
        assert done.stderr == f"error: cannot write '{victim}': it is the input '{victim}', " \
                              "which the command reads\n", done.stderr
        assert victim.read_bytes() == original, f"the import changed {victim}"
        assert victim == program or not program.exists(), "a refused import wrote its program"


def test_a_program_named_as_a_weight_is_refused(tmp_path):
    """-o naming a weight's file in the --params-out folder: the program and
    the weight would be renamed onto one path, the last replacing the
    other."""
    onnx_file = os.path.join(GOLDEN, "mlp_opset13.onnx")
    params = tmp_path / "p"
    nnc("import", onnx_file, "-o", tmp_path / "m.nn", "--params-out", params)
    weight = sorted(params.glob("*.npy"))[0]
    original = weight.read_bytes()
    os.symlink("p", tmp_path / "plink")
    for output in (weight, tmp_path / "p" / ".." / "p" / weight.name,
                   os.path.relpath(weight), tmp_path / "plink" / weight.name):
        done = nnc("import", onnx_file, "-o", output, "--params-out", params, expect=1)
        assert done.stderr == f"error: cannot write '{output}': it is also the file of " \
                              f"weight '{weight.stem}' in the --params-out folder\n", done.stderr
        assert weight.read_bytes() == original, f"-o {output} replaced the weight"


def test_unwritable_outputs_are_refused_before_writing(tmp_path):
    onnx_file = os.path.join(GOLDEN, "mlp_opset13.onnx")
    a_file = tmp_path / "afile"
    a_file.write_text("")
    params = tmp_path / "p"
    done = nnc("import", onnx_file, "-o", tmp_path, "--params-out", params, expect=1)
    assert done.stderr == f"error: cannot write '{tmp_path}': it is a folder\n", done.stderr
    assert not params.exists(), "an import refused for its -o wrote parameters"
    nn = tmp_path / "m.nn"
    done = nnc("import", onnx_file, "-o", nn, "--params-out", a_file, expect=1)
    assert done.stderr == f"error: cannot write into '{a_file}': it is not a folder\n", done.stderr
    assert not nn.exists(), "an import refused for its --params-out wrote the program"
    # Folders that do not exist yet are made, for the program as for the weights.
    nested = tmp_path / "new" / "folder" / "m.nn"
    nnc("import", onnx_file, "-o", nested, "--params-out", tmp_path / "new" / "params")
    assert nested.is_file() and os.listdir(tmp_path / "new" / "params")


@needs_onnx
def test_rank0_float_initializer_is_a_constant_with_a_note(tmp_path):
    """A learnable scalar cannot be told from a fixed one in ONNX: it becomes
    a constant, and the import says so; a [1] initializer stays a param."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    initializers = [numpy_helper.from_array(weight, "w"),
                    numpy_helper.from_array(np.array(2.5, np.float32), "scale"),
                    numpy_helper.from_array(np.array([0.5], np.float32), "gain")]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
             helper.make_node("Mul", ["m", "scale"], ["s"]),
             helper.make_node("Mul", ["s", "gain"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
                              initializers)
    path = tmp_path / "scalar.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    nn, params = tmp_path / "scalar.nn", tmp_path / "scalar.params"
    done = nnc("import", path, "-o", nn, "--params-out", params)
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "'scale'" in notes[0] and "not a trainable param" in notes[0], done.stderr
    assert sorted(os.listdir(params)) == ["gain.npy", "w.npy"]
    x = np.array([[1, -2, 3, 4], [0.5, 0, -1, 2]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    nnc("run", nn, "--params", params, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", out)
    np.testing.assert_allclose(np.load(out / "y.npy"), x @ weight * 2.5 * 0.5, rtol=1e-6)


@needs_onnx
def test_an_initializer_no_gradient_reaches_is_a_constant(tmp_path):
    """`gate` reaches the output only through Greater, then Where's
    condition, and `zero` only through Greater: neither can train, so
    neither is a param, and the scalar gets no note. `shared` is read for
    its Shape too, but also added to the output, so it stays a param."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
    gate = np.array([1, -1, 2, -2], np.float32)
    shared = np.array([0.5, 0, -1, 3], np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
             helper.make_node("Greater", ["gate", "zero"], ["open"]),
             helper.make_node("Constant", [], ["low"],
                              value=numpy_helper.from_array(np.array(-5, np.float32))),
             helper.make_node("Shape", ["shared"], ["extent"]),
             helper.make_node("Expand", ["low", "extent"], ["lows"]),
             helper.make_node("Where", ["open", "m", "lows"], ["chosen"]),
             helper.make_node("Add", ["chosen", "shared"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(gate, "gate"),
         numpy_helper.from_array(np.array(0, np.float32), "zero"),
         numpy_helper.from_array(shared, "shared")])
    path = tmp_path / "masked.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    nn, params = tmp_path / "masked.nn", tmp_path / "masked.params"
    done = nnc("import", path, "-o", nn, "--params-out", params)
    assert "note:" not in done.stderr, done.stderr
    program = nn.read_text()
    assert [line.split(":")[0] for line in program.splitlines() if line.startswith("param ")] \
        == ["param w", "param shared"], program
    assert "gate" not in program, program
    x = np.array([[1, -2, 3, 4], [0.5, 0, -1, 2]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    nnc("run", nn, "--params", params, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", out)
    np.testing.assert_allclose(np.load(out / "y.npy"), np.where(gate > 0, x @ weight, -5) + shared,
                               rtol=1e-6)


@needs_onnx
def test_an_initializer_holding_infinities_is_a_buffer_and_nan_is_refused(tmp_path):
    """A causal mask kept as a PyTorch buffer reaches ONNX as one more
    initializer, with -inf above the diagonal. As a param, --params refused
    the folder the import wrote (parameters must be finite); as a buffer it
    runs, and gives what the mask means. A NaN weight is refused at import
    rather than written into a folder --params then refuses."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
    mask = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    def save(name, weight):
        nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
                 helper.make_node("Add", ["m", "mask"], ["s"]),
                 helper.make_node("Softmax", ["s"], ["y"], axis=-1)]
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 4])],
            [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(mask, "mask")])
        path = tmp_path / name
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
        return path
    nn, params = tmp_path / "masked.nn", tmp_path / "masked.params"
    nnc("import", save("masked.onnx", weight), "-o", nn, "--params-out", params)
    declarations = open(nn).read()
    assert "buffer mask: f32[4, 4]" in declarations and "param w: f32[4, 4]" in declarations
    x = np.random.default_rng(0).random((2, 4, 4), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    nnc("run", nn, "--params", params, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", out)
    scores = x @ weight + mask
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.load(out / "y.npy"), expected, rtol=1e-5, atol=1e-7)

    poisoned = weight.copy()
    poisoned[1, 2] = np.nan
    done = nnc("import", save("nan.onnx", poisoned), "-o", tmp_path / "nan.nn",
               "--params-out", tmp_path / "nan.params", expect=1)
    assert "initializer 'w': element 6 holds NaN" in done.stderr, done.stderr


@needs_onnx
def test_external_data_that_is_a_fifo_is_refused(tmp_path):
    """Opening a FIFO nobody writes to would block forever."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "w.data"
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
                              [weight])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    os.mkfifo(tmp_path / "w.data")
    nn, params = tmp_path / "m.nn", tmp_path / "m.params"
    done = subprocess.run([NNC, "import", str(path), "-o", str(nn), "--params-out", str(params)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"error: {path}: initializer 'w': external data 'w.data' is not a regular file\n", \
        done.stderr
    assert_failed_cleanly(nn, params)


@needs_onnx
def test_an_output_listed_twice_is_one_output(tmp_path):
    """The program names each output once; a second `output y` line made
    the frontend refuse what the import had written."""
    import onnx
    from onnx import TensorProto, helper

    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"]),
                               helper.make_node("Neg", ["y"], ["z"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [y, z, y])
    path = tmp_path / "twice.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    nn = tmp_path / "twice.nn"
    nnc("import", path, "-o", nn, "--params-out", tmp_path / "p")
    outputs = [line for line in nn.read_text().splitlines() if line.startswith("output ")]
    assert outputs == ["output y", "output z"], nn.read_text()
    x = np.array([[1, -2, 3, -4]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    nnc("run", nn, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "out")
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), np.maximum(x, 0))
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "z.npy"), -np.maximum(x, 0))


@needs_onnx
def test_folds_take_min_and_max_of_any_count_and_refuse_a_wrong_one(tmp_path):
    """Min and Max are variadic in ONNX; a fold read two operands whatever
    the count. A binary op with one input is a one-line error."""
    import onnx
    from onnx import TensorProto, helper

    # Constant nodes: initializers a gradient reaches would be parameters.
    consts = [helper.make_node("Constant", [], [n], value=helper.make_tensor(
        n, TensorProto.FLOAT, [3], v)) for n, v in
        (("a", [1, 5, -2]), ("b", [4, 0, 3]), ("d", [0, -1, 2]))]

    def model(nodes, name):
        graph = helper.make_graph(
            consts + nodes + [helper.make_node("Add", ["x", "c"], ["y"])], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])])
        path = tmp_path / f"{name}.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                  str(path))
        return path

    path = model([helper.make_node("Max", ["a"], ["m1"]),
                  helper.make_node("Min", ["a", "b", "d"], ["m3"]),
                  helper.make_node("Add", ["m1", "m3"], ["c"])], "minmax")
    nn = tmp_path / "minmax.nn"
    nnc("import", path, "-o", nn, "--params-out", tmp_path / "p")
    x = np.zeros((1, 3), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    nnc("run", nn, "--params", tmp_path / "p", "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "out")
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"),
                                  [[1 + 0, 5 - 1, -2 - 2]])

    path = model([helper.make_node("Sub", ["a"], ["c"], name="half")], "sub1")
    done = nnc("import", path, "-o", tmp_path / "sub1.nn", "--params-out",
               tmp_path / "p1", expect=1)
    # The ONNX checker refuses it first; the importer's own count check
    # guards what the fuzzer hands it unchecked (fuzz-regressions).
    assert "Node (half) has input size 1 not in range [min=2, max=2]" in \
        done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@needs_onnx
def test_custom_domain_node_names_its_own_opset(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused",
                                                domain="com.microsoft")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
    path = tmp_path / "custom.onnx"
    onnx.save(model, str(path))
    done = nnc("import", path, "-o", tmp_path / "c.nn", "--params-out", tmp_path / "c.params", expect=1)
    assert "node 'fused' (com.microsoft.FusedGemm, opset 1): ops of domain 'com.microsoft' are not supported" \
        in done.stderr, done.stderr


@needs_onnx
def test_a_node_without_name_or_outputs_is_named_by_its_position(tmp_path):
    """Messages named an unnamed node after its first output, which a node
    may not have (reading it was out of bounds): such a node is #N, its
    position from 0 in the file's list of nodes."""
    import onnx
    from onnx import TensorProto, helper

    def save(name, nodes, opsets):
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])])
        path = tmp_path / name
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v)
                                                          for d, v in opsets]), str(path))
        return path

    # Fed by a cycle, so left over when the nodes are sorted, first; the
    # message names a node on the cycle.
    path = save("cycle.onnx", [helper.make_node("Relu", ["a"], []),
                               helper.make_node("Relu", ["b"], ["a"]),
                               helper.make_node("Relu", ["a"], ["b"]),
                               helper.make_node("Relu", ["x"], ["y"])], [("", 13)])
    done = nnc("import", path, "-o", tmp_path / "c.nn", "--params-out", tmp_path / "c", expect=1)
    assert done.stderr == f"error: {path}: the graph has a cycle through node 'a' (Relu)\n", \
        done.stderr
    # Ops of other domains may have no outputs; the checker lets them be.
    # The position is the file's, though the node is translated second.
    path = save("custom.onnx", [helper.make_node("Log", ["y"], [], domain="com.example"),
                                helper.make_node("Relu", ["x"], ["y"])],
                [("", 13), ("com.example", 1)])
    done = nnc("import", path, "-o", tmp_path / "d.nn", "--params-out", tmp_path / "d", expect=1)
    assert done.stderr == f"error: {path}: node #0 (com.example.Log, opset 1): ops of domain " \
                          "'com.example' are not supported\n", done.stderr


@needs_onnx
def test_batch_norm_with_momentum_1_keeps_its_statistics_with_a_note(tmp_path):
    """ONNX momentum 1 (PyTorch's momentum=None exports so) keeps the running
    statistics where they are: batch_norm momentum=0, and a note says why a
    PyTorch run would move them."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    stats = [numpy_helper.from_array(np.full(3, v, np.float32), name)
             for name, v in (("gamma", 1.0), ("beta", 0.0), ("mean", 0.5),
                             ("var", 2.0))]
    nodes = [helper.make_node("BatchNormalization",
                              ["x", "gamma", "beta", "mean", "var"], ["y"],
                              momentum=1.0, name="bn")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], stats)
    path = tmp_path / "bn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), str(path))
    nn = tmp_path / "bn.nn"
    done = nnc("import", path, "-o", nn, "--params-out", tmp_path / "params")
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "node 'bn'" in notes[0] \
        and "momentum 1 keeps the running statistics" in notes[0], done.stderr
    assert "momentum=0)" in nn.read_text()


@needs_onnx
def test_a_weight_several_nodes_of_one_op_read_gets_a_note(tmp_path):
    """Two layer norms reading one scale and one bias (as PyTorch exports
    fresh ones, merged for their equal values) train them as one parameter:
    a note each says so. A tied embedding, read by a Gather and a MatMul,
    is a model's own sharing and gets none."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = [numpy_helper.from_array(np.ones(4, np.float32), "gamma"),
               numpy_helper.from_array(np.zeros(4, np.float32), "beta"),
               numpy_helper.from_array(np.full((6, 4), 0.5, np.float32), "emb")]
    nodes = [helper.make_node("Gather", ["emb", "ids"], ["e"]),
             helper.make_node("LayerNormalization", ["e", "gamma", "beta"], ["n1"]),
             helper.make_node("LayerNormalization", ["n1", "gamma", "beta"], ["n2"]),
             helper.make_node("Transpose", ["emb"], ["embT"], perm=[1, 0]),
             helper.make_node("MatMul", ["n2", "embT"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 6])], weights)
    path = tmp_path / "shared.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    done = nnc("import", path, "-o", tmp_path / "shared.nn", "--params-out", tmp_path / "params")
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 2, done.stderr
    assert "initializer 'beta' is input 2 of 2 LayerNormalization nodes" in notes[0], notes
    assert "initializer 'gamma' is input 1 of 2 LayerNormalization nodes" in notes[1], notes
    assert not any("'emb'" in note for note in notes), notes

"""Single ops and small PyTorch idioms, each exported on its own, imported,
run, and compared with PyTorch; and the idioms the importer refuses, with
the node its message names.

CTest sets NNC and NNC_ONNX_WORK as for test_onnx_import.py. Each case is
a module of a few nodes, so that a failure points at one translation.
"""

import importlib.util
import math
import os
import re

import numpy as np
import pytest

from nnc_cli import NNC, nnc

HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "onnx"))
HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]

if HAVE_TORCH:
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper


def export(tmp_path, model, inputs, opset=13, dynamic=False):
    """Exports `model` on `inputs` (named x0, x1, ...; output y) to
    tmp_path/m.onnx, the first axis dynamic when `dynamic`."""
    names = [f"x{i}" for i in range(len(inputs))]
    extra = {"dynamic_axes": {n: {0: "batch"} for n in names + ["y"]}} if dynamic else {}
    path = tmp_path / "m.onnx"
    torch.onnx.export(model.eval(), tuple(inputs), str(path), opset_version=opset,
                      input_names=names, output_names=["y"], **extra)
    return path


def import_and_run(tmp_path, onnx_file, inputs, backend="ref"):
    """`nnc import`s the file, `nnc check`s the program and runs it on
    `inputs` (numpy arrays named x0, x1, ...): the output y and the program."""
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    nnc("import", onnx_file, "-o", nn, "--params-out", params)
    nnc("check", nn)
    args = []
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"x{i}.npy", x)
        args += ["--input", f"x{i}={tmp_path / f'x{i}.npy'}"]
    out = tmp_path / "out"
    nnc("run", nn, "--params", params, *args, "--output-dir", out, "--backend", backend)
    return np.load(out / "y.npy"), nn.read_text()


def matches_pytorch(tmp_path, model, inputs, runs=None, **kw):
    """Exports `model` on `inputs`, then checks nnc against PyTorch on
    each input list of `runs` (default: `inputs` itself); the program."""
    onnx_file = export(tmp_path, model, inputs, **kw)
    program = None
    for run in runs or [inputs]:
        got, program = import_and_run(tmp_path, onnx_file, [x.numpy() for x in run])
        with torch.no_grad():
            want = model(*run).numpy()
        assert got.shape == want.shape, f"shape {got.shape}, PyTorch {want.shape}\n{program}"
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=program)
    return program


def import_fails(tmp_path, onnx_file):
    """`nnc import` of the file fails and writes nothing: its stderr."""
    nn, params = tmp_path / "bad.nn", tmp_path / "bad.params"
    done = nnc("import", onnx_file, "-o", nn, "--params-out", params, expect=1)
    assert not nn.exists(), f"a failed import wrote {nn}"
    return done.stderr


class Lambda(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def test_flatten_with_a_negative_axis(tmp_path):
    # torch.flatten(x, 0, -2) exports Flatten(axis=-1): -1 counts from the
    # rank, keeping the last axis apart, [2, 3, 4] -> [6, 4].
    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, Lambda(lambda x: torch.flatten(x, 0, -2) * 2),
                              [torch.randn(2, 3, 4)])
    assert "shape=[6, 4]" in program, program


def test_flatten_of_a_constant_with_a_negative_axis(tmp_path):
    # The folder flattens constants with the same rule.
    c = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c)),
         helper.make_node("Flatten", ["c"], ["f"], axis=-1),
         helper.make_node("Add", ["x0", "f"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [6, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 4])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.ones((6, 4), np.float32)
    got, program = import_and_run(tmp_path, path, [x])
    np.testing.assert_array_equal(got, x + c.reshape(6, 4), err_msg=program)


def test_a_weight_shared_through_an_identity_stays_one_weight(tmp_path):
    # h = x @ W; y = h @ Identity(W): no running statistic is involved, and
    # ONNX cannot tell this sharing from the exporter's merging, so W stays
    # one param, trained as one.
    w = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x0", "w"], ["h"]),
         helper.make_node("Identity", ["w"], ["w_again"]),
         helper.make_node("MatMul", ["h", "w_again"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(w, "w")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.ones((2, 4), np.float32)
    got, program = import_and_run(tmp_path, path, [x])
    assert program.count("param ") == 1, program
    np.testing.assert_allclose(got, x @ w @ w, rtol=1e-6, err_msg=program)


def test_integer_division_by_minus_one_folds_to_the_negation(tmp_path):
    # 7 / -1 is -7 (it once folded to 0, guarding INT64_MIN / -1).
    def const(name, value):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.array([value], np.int64)))
    graph = helper.make_graph(
        [const("a", 7), const("b", -1), helper.make_node("Div", ["a", "b"], ["c"]),
         helper.make_node("Cast", ["c"], ["cf"], to=TensorProto.FLOAT),
         helper.make_node("Add", ["x0", "cf"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [2, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 1])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.array([[1], [2]], np.float32)
    got, program = import_and_run(tmp_path, path, [x])
    np.testing.assert_array_equal(got, x - 7, err_msg=program)


@pytest.mark.parametrize("op,a,b,why", [
    ("Div", -2**63, -1, "overflows 64 bits"),  # traps on x86-64
    ("Div", 4, 0, "integer division by zero"),
    ("Add", 2**63 - 1, 1, "overflows 64 bits"),
    ("Mul", 2**62, 4, "overflows 64 bits"),
    ("Neg", -2**63, None, "overflows 64 bits"),
    ("Pow", 10, 40, "overflows 64 bits"),
    ("Reciprocal", 0, None, "not a number"),
])
def test_an_integer_fold_without_a_result_is_a_node_error(tmp_path, op, a, b, why):
    # The folder computes integer constants (shape arithmetic) in int64;
    # a result it cannot give is refused at the node, not wrapped, zeroed
    # or trapped on.
    def const(name, value):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.array([value], np.int64)))
    operands = ["a"] if b is None else ["a", "b"]
    nodes = [const("a", a)] + ([] if b is None else [const("b", b)])
    nodes += [helper.make_node(op, operands, ["c"], name="the_fold"),
              helper.make_node("Cast", ["c"], ["cf"], to=TensorProto.FLOAT),
              helper.make_node("Add", ["x0", "cf"], ["y"])]
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [2, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 1])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and f"node 'the_fold' ({op}, opset 13)" in lines[0], lines
    assert why in lines[0], lines


@pytest.mark.parametrize("pool,opset", [
    ("AvgPool2d(2)", 11),  # a Pad of zeros by 0
    ("AvgPool2d(3, 2, 1)", 13),  # a Pad of zeros by 1, counted in the averages
    ("AvgPool2d(3, 1, 1)", 17),
])
def test_avg_pool_counting_its_padding(tmp_path, pool, opset):
    # PyTorch exports AvgPool2d(count_include_pad=True) as Pad + AveragePool.
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), eval("torch.nn." + pool))
    program = matches_pytorch(tmp_path, model, [torch.randn(2, 3, 10, 10)],
                              runs=[[torch.randn(1, 3, 10, 10)], [torch.randn(3, 3, 10, 10)]],
                              opset=opset, dynamic=True)
    assert "avg_pool2d" in program and "count_include_pad" not in program, program


def test_padding_nnc_cannot_fold_names_the_pad(tmp_path):
    # F.pad's amounts come reversed by a constant Slice of step -1, which
    # folds, so that the message is about the Pad.
    path = export(tmp_path, Lambda(lambda x: F.pad(x, (1, 1, 1, 1)) * 2), [torch.randn(2, 3, 4, 4)])
    stderr = import_fails(tmp_path, path)
    assert "'/Pad' (Pad, opset 13): padding [0, 0, 1, 1, 0, 0, 1, 1]" in stderr, stderr
    assert "Slice" not in stderr, stderr


def test_expand_with_a_dynamic_batch(tmp_path):
    # x.expand(-1, 3, -1) keeps the batch: broadcast_to(shape=[-1, 3, 4]).
    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, Lambda(lambda x: x.expand(-1, 3, -1) + 1),
                              [torch.randn(2, 1, 4)],
                              runs=[[torch.randn(2, 1, 4)], [torch.randn(5, 1, 4)]], dynamic=True)
    assert "broadcast_to(" in program, program


class PrependClassToken(torch.nn.Module if HAVE_TORCH else object):
    """A vision transformer's class token prepended to its patches."""

    def __init__(self):
        super().__init__()
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 4))

    def forward(self, x):
        return torch.cat([self.cls.expand(x.size(0), -1, -1), x], 1)


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_the_class_token_expands_over_a_dynamic_batch(tmp_path, opset):
    # cls.expand(x.size(0), -1, -1) exports Equal([B, -1, -1], -1), a
    # Where selecting [B, 1, 1] and an Expand: a batch size (at least 1)
    # is never -1, so the comparison folds and the batch stays first.
    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, PrependClassToken(), [torch.randn(2, 3, 4)],
                              runs=[[torch.randn(2, 3, 4)], [torch.randn(5, 3, 4)]],
                              opset=opset, dynamic=True)
    assert "broadcast_to(" in program, program


def test_a_constant_holding_nan_is_a_node_error(tmp_path):
    # It would become a buffer, which no program can load holding NaN:
    # refused at import, as an initializer holding NaN is, not at run time.
    fn = Lambda(lambda x: x + torch.tensor([1.0, float("nan")]))
    path = export(tmp_path, fn, [torch.randn(2, 2)], dynamic=True)
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and "(Add," in lines[0] and \
        "a constant used as data holds NaN (element 1)" in lines[0], lines


def test_a_comparison_the_batch_size_does_not_settle_is_a_node_error(tmp_path):
    # x.size(0) == 3 holds for some batches only: no fold, the node named.
    fn = Lambda(lambda x: x * (x.size(0) == 3))
    path = export(tmp_path, fn, [torch.randn(2, 4)], dynamic=True)
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and "(Equal," in lines[0] and \
        "arithmetic on the batch size" in lines[0], lines


@pytest.mark.parametrize("case", ["transpose", "softmax_dim0", "two_batch_axes"])
def test_batch_off_the_front_is_a_node_error(tmp_path, case):
    # With a dynamic batch these would import into programs that do not
    # check; each is refused at its node, in one line, and nothing written.
    inputs, opset = [torch.randn(2, 5, 4)], 13
    if case == "transpose":  # sequence-first code
        fn, node = (lambda x: x.transpose(0, 1) * 2), "'/Transpose' (Transpose, opset 13)"
    elif case == "softmax_dim0":  # Transpose, Softmax, Transpose at opset 11
        fn, node, opset = (lambda x: torch.softmax(x, 0)), "'/Transpose' (Transpose, opset 11)", 11
    else:  # [B, 1, 4] - [B, 1] broadcasts to [B, B, 4]
        fn, node = (lambda a, b: a - b), "'/Sub' (Sub, opset 13)"
        inputs = [torch.randn(2, 1, 4), torch.randn(2, 1)]
    path = export(tmp_path, Lambda(fn), inputs, opset=opset, dynamic=True)
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and node in lines[0] and "batch dimension" in lines[0], lines


@pytest.mark.parametrize("case", ["slice_start", "slice_end", "gather_index", "range_start",
                                  "range_limit"])
def test_the_batch_size_as_an_index_or_a_count_is_a_node_error(tmp_path, case):
    # Shape's batch entry stands for the batch size; read as a number it
    # would be 0 (x[:, x.size(0):] computed x[:, 0:]). Each is refused at
    # the node that reads it, naming the input.
    fn, node, role = {
        "slice_start": (lambda x: x[:, x.size(0):] * 1.0, "(Slice,", "starts"),
        "slice_end": (lambda x: x[:, :x.size(0)] * 1.0, "(Slice,", "ends"),
        "gather_index": (lambda x: x[:, x.size(0)] * 1.0, "(Gather,", "indices"),
        "range_start": (lambda x: x[:, torch.arange(x.size(0), 4)] * 1.0, "(Range,", "start"),
        "range_limit": (lambda x: x[:, torch.arange(0, x.size(0))] * 1.0, "(Range,", "limit"),
    }[case]
    path = export(tmp_path, Lambda(fn), [torch.randn(2, 4)], dynamic=True)
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1, lines
    assert node in lines[0] and role + ": it is computed from the batch size" in lines[0], lines


def test_weights_the_exporter_merged_are_untied(tmp_path):
    # A batch norm fresh from its constructor, and one whose scale and shift
    # were trained but whose statistics are fresh: PyTorch 1.13 exports one
    # initializer per set of equal values (the first's running mean as an
    # Identity of its bias, the second's statistics as Identities of the
    # first's). Every statistic must be a buffer of its own, which one
    # training step moves as PyTorch moves it.
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                torch.nn.Conv2d(4, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3))
    with torch.no_grad():
        model[4].weight.uniform_(0.5, 1.5)
        model[4].bias.uniform_(-0.5, 0.5)
    path = tmp_path / "m.onnx"
    torch.onnx.export(model.eval(), torch.randn(2, 3, 8, 8), str(path), opset_version=13,
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    assert any(n.op_type == "Identity" for n in onnx.load(str(path)).graph.node), \
        "the exporter merged nothing: the test would not test the untying"
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    nnc("import", path, "-o", nn, "--params-out", params)
    program = nn.read_text()
    for i in (1, 4):
        assert f"param v_{i}_weight: f32[4]" in program and f"param v_{i}_bias: f32[4]" in program, program
        assert f"buffer v_{i}_running_mean: f32[4]" in program, program
        assert f"buffer v_{i}_running_var: f32[4]" in program, program
    (tmp_path / "t.nn").write_text(program + "\ninput labels: i64[B]\n"
                                   "loss = softmax_cross_entropy(logits, labels)\n"
                                   "train {\n  optimizer = sgd(lr=0.1)\n}\n")
    x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 1])
    np.save(tmp_path / "x.npy", x.numpy())
    np.save(tmp_path / "y.npy", y.numpy())
    nnc("train", tmp_path / "t.nn", "--data", f"x={tmp_path / 'x.npy'}",
        "--data", f"labels={tmp_path / 'y.npy'}", "--params", params, "--epochs", "1",
        "--batch", "4", "--no-shuffle", "--save", tmp_path / "tuned")
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    for name, want in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        got = np.load(tmp_path / "tuned" / ("v_" + name.replace(".", "_") + ".npy"))
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_gather_of_constant_negative_indices(tmp_path):
    # x[:, [0, -1]] exports Gather with the indices [0, -1]; -1 is the last.
    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, Lambda(lambda x: x[:, [0, -1]]), [torch.randn(2, 3, 4)])
    assert "gather(" in program, program


@pytest.mark.parametrize("form", ["huggingface", "grouped", "sqrt_half"])
def test_exact_gelu_written_by_hand_fuses(tmp_path, form):
    # The product of x, 0.5 and 1 + erf(x / sqrt(2)) in any order and
    # grouping becomes gelu, as PyTorch's own export of F.gelu does.
    def gelu(x):
        if form == "huggingface":
            return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
        if form == "grouped":
            return x * (0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))))
        return (1.0 + torch.erf(x * math.sqrt(0.5))) * (0.5 * x)

    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, Lambda(lambda x: gelu(x * 2)), [torch.randn(3, 8)])
    assert "gelu(" in program and "erf" not in program.lower().replace("gelu", ""), program


class LastStepOfLstm(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(4, 8, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0][:, -1]


def test_an_unsupported_op_is_named_after_its_inputs_failed(tmp_path):
    # With a dynamic batch, PyTorch makes the LSTM's zero initial state
    # with ConstantOfShape(Shape(x)...), which fails first; the LSTM, what
    # the user has to replace, is named too.
    path = export(tmp_path, LastStepOfLstm(), [torch.randn(2, 5, 4)], dynamic=True)
    stderr = import_fails(tmp_path, path)
    assert "(ConstantOfShape, opset 13): nnc imports this op only on constant inputs" in stderr, stderr
    assert "(LSTM, opset 13): op not supported" in stderr, stderr


def runs_like_pytorch(tmp_path, nn, params, model, x, rtol=1e-5, atol=1e-6):
    """Runs the imported program `nn` (input x, output logits) on `x`, saved
    as x.npy, and checks its logits against `model`'s."""
    np.save(tmp_path / "x.npy", x.numpy())
    nnc("run", nn, "--params", params, "--input", f"x={tmp_path / 'x.npy'}",
        "--output-dir", tmp_path / "out")
    with torch.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "out" / "logits.npy"), want,
                               rtol=rtol, atol=atol, err_msg=nn.read_text())


def fine_tunes_like_pytorch(tmp_path, model, x, labels, opset=13, traced_batch=None):
    """Exports `model` for fine-tuning (a dynamic batch, weights under their
    state_dict names), imports it, and checks nnc's logits for `x` against
    PyTorch's, then one `nnc train` SGD step on (x, labels) with softmax
    cross-entropy against PyTorch's step: every parameter after it. The
    program. With `traced_batch`, the export is PyTorch's plain one instead,
    at that fixed batch size (no dynamic axes, constants folded), imported
    with --dynamic-batch."""
    path = tmp_path / "m.onnx"
    if traced_batch:
        torch.onnx.export(model.eval(), x[:traced_batch], str(path), opset_version=opset,
                          input_names=["x"], output_names=["logits"])
    else:
        torch.onnx.export(model.eval(), x, str(path), opset_version=opset,
                          input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False)
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    done = nnc("import", path, "-o", nn, "--params-out", params,
               *(["--dynamic-batch"] if traced_batch else []))
    (tmp_path / "import.err").write_text(done.stderr)
    program = nn.read_text()
    runs_like_pytorch(tmp_path, nn, params, model, x)
    np.save(tmp_path / "y.npy", labels.numpy())
    (tmp_path / "t.nn").write_text(program + "\ninput labels: i64[B]\n"
                                   "loss = softmax_cross_entropy(logits, labels)\n"
                                   "train {\n  optimizer = sgd(lr=0.1)\n}\n")
    nnc("train", tmp_path / "t.nn", "--data", f"x={tmp_path / 'x.npy'}",
        "--data", f"labels={tmp_path / 'y.npy'}", "--params", params, "--epochs", "1",
        "--batch", str(len(x)), "--no-shuffle", "--save", tmp_path / "tuned")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    F.cross_entropy(model(x), labels).backward()
    opt.step()
    for name, want in model.named_parameters():
        got = np.load(tmp_path / "tuned" / (name.replace(".", "_") + ".npy"))
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    return program


def assert_one_traced_batch_note(tmp_path, node, traced_batch):
    """The import fine_tunes_like_pytorch ran printed one note: that `node`
    took the leading traced batch of its constant shape as the batch."""
    notes = [l for l in (tmp_path / "import.err").read_text().splitlines()
             if l.startswith("note:")]
    assert len(notes) == 1 and node in notes[0] \
        and f"the leading {traced_batch} of its constant shape is taken as the batch" \
        in notes[0], notes


class SmallConvNet(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):  # [B, 1, 8, 8]
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(h.view(h.size(0), -1))


@pytest.mark.parametrize("traced_batch", [1, 2])
def test_a_model_exported_at_a_fixed_batch_fine_tunes_with_dynamic_batch(tmp_path,
                                                                          traced_batch):
    # torch.onnx.export's defaults: the traced batch is in every shape, and
    # `h.view(h.size(0), -1)` folds into the constant [N, 64].
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, SmallConvNet(), torch.randn(4, 1, 8, 8),
                                      torch.tensor([0, 2, 1, 2]), traced_batch=traced_batch)
    assert "input x: f32[B, 1, 8, 8]" in program, program
    assert "reshape(" in program and ", shape=[-1, 64])" in program, program
    assert_one_traced_batch_note(tmp_path, "node '/Reshape' (Reshape", traced_batch)


class ClassToken(torch.nn.Module if HAVE_TORCH else object):
    """A vision transformer's class token: one learned row, expanded over
    the batch and put in front of the patches."""

    def __init__(self):
        super().__init__()
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 8))
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, x):  # [B, 4, 8]
        h = torch.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1)
        return self.fc(h[:, 0] + h[:, 1:].mean(1))


@pytest.mark.parametrize("traced_batch", [1, 2])
def test_a_class_token_expanded_at_a_fixed_batch_fine_tunes_with_dynamic_batch(
        tmp_path, traced_batch):
    # At a fixed batch the exporter folds `expand(x.size(0), -1, -1)` into
    # the constant [N, 1, 8]; without the Expand rule the Concat with the
    # batched patches fails to import.
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, ClassToken(), torch.randn(5, 4, 8),
                                      torch.tensor([0, 2, 1, 2, 0]),
                                      traced_batch=traced_batch)
    assert "broadcast_to(cls, shape=[-1, 1, 8])" in program, program
    assert_one_traced_batch_note(tmp_path, "node '/Expand' (Expand", traced_batch)


class TinyViTBlock(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.proj = torch.nn.Linear(width, width)
        self.fc1, self.fc2 = torch.nn.Linear(width, 2 * width), torch.nn.Linear(2 * width, width)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in self.qkv(self.ln1(x)).split(d, dim=2))
        a = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyViT(torch.nn.Module if HAVE_TORCH else object):
    """4 x 4 patches of a 16 x 16 image, a class token, two pre-norm blocks."""

    def __init__(self, width=32, heads=4, classes=10):
        super().__init__()
        self.patch = torch.nn.Conv2d(1, width, 4, stride=4)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.pos = torch.nn.Parameter(torch.randn(1, 17, width) * 0.02)
        self.blocks = torch.nn.Sequential(TinyViTBlock(width, heads),
                                          TinyViTBlock(width, heads))
        self.ln = torch.nn.LayerNorm(width)
        self.head = torch.nn.Linear(width, classes)

    def forward(self, x):  # [B, 1, 16, 16]
        p = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.size(0), -1, -1), p], dim=1) + self.pos
        return self.head(self.ln(self.blocks(x))[:, 0])


def test_a_vision_transformer_exported_at_batch_1_runs_at_other_batches(tmp_path):
    # PyTorch's plain export at batch 1: the class token's Expand and every
    # attention Reshape hold the traced batch; --dynamic-batch reads them all
    # as the batch, and the program gives PyTorch's logits at batch 5.
    torch.manual_seed(0)
    model = TinyViT().eval()
    path = tmp_path / "vit.onnx"
    torch.onnx.export(model, torch.randn(1, 1, 16, 16), str(path), opset_version=14,
                      input_names=["x"], output_names=["logits"])
    nn, params = tmp_path / "vit.nn", tmp_path / "params"
    done = nnc("import", path, "-o", nn, "--params-out", params, "--dynamic-batch")
    # One note counts them (a note each for 3 or fewer).
    notes = [l for l in done.stderr.splitlines() if l.startswith("note:")]
    assert len(notes) == 1 and notes[0].startswith(
        "note: 9 Reshape and Expand nodes take the leading 1 of their constant "
        "shape as the batch (--dynamic-batch), node '/Expand' (Expand") and \
        " and 6 more; if the model computed it" in notes[0], notes
    runs_like_pytorch(tmp_path, nn, params, model, torch.randn(5, 1, 16, 16),
                      rtol=1e-4, atol=1e-5)


def test_dynamic_batch_leaves_scalars_and_reshapes_of_weights_alone(tmp_path):
    """Traced at 2: `x` (dynamic) and `z` (fixed) both get the batch, the
    scalar `s` stays one tensor for every batch, and the Reshape of the
    weight `w` to [2, 4] keeps its 2, since no batch leads `w`."""
    w = np.arange(8, dtype=np.float32) / 8
    nodes = [helper.make_node("Reshape", ["w", "shape"], ["w24"]),
             helper.make_node("ReduceSum", ["w24"], ["w4"], axes=[0], keepdims=0),
             helper.make_node("Add", ["x", "z"], ["xz"]),
             helper.make_node("Mul", ["xz", "w4"], ["m"]),
             helper.make_node("Mul", ["m", "s"], ["y"])]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(w, "w"),
         numpy_helper.from_array(np.array([2, 4], np.int64), "shape")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), str(path))
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    done = nnc("import", path, "-o", nn, "--params-out", params, "--dynamic-batch")
    assert "note:" not in done.stderr, done.stderr
    program = nn.read_text()
    for line in ("input x: f32[B, 4]", "input z: f32[B, 4]", "input s: f32[]",
                 "shape=[2, 4]"):
        assert line in program, program
    x, z = np.random.rand(5, 4).astype(np.float32), np.random.rand(5, 4).astype(np.float32)
    for name, value in (("x", x), ("z", z), ("s", np.array(3, np.float32))):
        np.save(tmp_path / f"{name}.npy", value)
    nnc("run", nn, "--params", params, *[a for n in "xzs" for a in
                                        ("--input", f"{n}={tmp_path / (n + '.npy')}")],
        "--output-dir", tmp_path / "out")
    np.testing.assert_allclose(np.load(tmp_path / "out" / "y.npy"),
                               (x + z) * w.reshape(2, 4).sum(0) * 3, rtol=1e-6)


def test_dynamic_batch_refuses_inputs_of_other_first_extents(tmp_path):
    path = export(tmp_path, Lambda(lambda a, b: a.sum(1) + b.sum(1)),
                  [torch.randn(2, 3), torch.randn(1, 3)])
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    done = nnc("import", path, "-o", nn, "--params-out", params, "--dynamic-batch",
               expect=1)
    assert "input 'x1': its first axis has extent 1 where another input's has 2" \
        in done.stderr, done.stderr
    assert not nn.exists()


def test_without_dynamic_batch_the_traced_batch_stays(tmp_path):
    path = export(tmp_path, SmallConvNet(), [torch.randn(2, 1, 8, 8)])
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    done = nnc("import", path, "-o", nn, "--params-out", params)
    assert "input x0: f32[2, 1, 8, 8]" in nn.read_text()
    assert "note: input 'x0' is [2, 1, 8, 8] and no input has a dynamic first axis: " \
        "the program runs at that size but cannot be trained; `nnc import " \
        "--dynamic-batch` makes the inputs' first axis the batch" in done.stderr, done.stderr


class SplitUnequally(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 12)
        self.fc2 = torch.nn.Linear(12, 3)

    def forward(self, x):  # [B, 5, 6]
        # Reassembled out of order, so that a part taken from the wrong
        # offset shows in the outputs and in fc1's gradient.
        a, b, c = torch.split(self.fc1(x), [3, 4, 5], dim=-1)
        return self.fc2(torch.cat([torch.tanh(c), a, torch.relu(b)], dim=-1).mean(1))


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_split_of_unequal_sizes_runs_and_fine_tunes(tmp_path, opset):
    # torch.split with sizes exports Split with `split` as an attribute at
    # opset 11 and as a Constant input from 13, on the axis -1.
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, SplitUnequally(), torch.randn(4, 5, 6),
                                      torch.tensor([0, 2, 1, 2]), opset=opset)
    for begin, end in ((0, 3), (3, 7), (7, 12)):
        assert f"axes=[2], starts=[{begin}], ends=[{end}])  # /Split (Split)" in program, program


class Chunked(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 12)
        self.fc2 = torch.nn.Linear(4, 3)

    def forward(self, x):  # [B, 4]
        a, b, c = self.fc1(x).chunk(3, dim=1)
        return self.fc2(a * torch.sigmoid(b) + c)


def test_torch_chunk_splits_and_fine_tunes(tmp_path):
    # PyTorch 1.13 exports an even torch.chunk as Slices whose bounds it
    # computes from the shape; they fold into the program's slices.
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, Chunked(), torch.randn(4, 4),
                                      torch.tensor([0, 2, 1, 2]))
    assert program.count("slice(fc1_Gemm, axes=[1]") == 3, program


class CausalSelfAttention(torch.nn.Module if HAVE_TORCH else object):
    """nanoGPT's attention, its causal mask a buffer of -inf above the
    diagonal that is added to the scores, with a classifier head."""

    def __init__(self, n_embd=8, n_head=2, block_size=4, classes=3):
        super().__init__()
        self.n_embd, self.n_head = n_embd, n_head
        self.c_attn = torch.nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = torch.nn.Linear(n_embd, n_embd)
        self.head = torch.nn.Linear(n_embd, classes)
        self.register_buffer(
            "mask", torch.full((1, 1, block_size, block_size), float("-inf")).triu(1))

    def forward(self, x):  # [B, T, C]
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.n_embd // self.n_head))
        att = F.softmax(att + self.mask[:, :, :T, :T], dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.head((x + self.c_proj(y)).mean(1))


def test_nanogpt_attention_splitting_qkv_runs_and_fine_tunes(tmp_path):
    # q, k, v = self.c_attn(x).split(n_embd, dim=2) exports one Split into
    # three equal parts; c_attn's gradient is the three slices' together.
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, CausalSelfAttention(), torch.randn(3, 4, 8),
                                      torch.tensor([0, 2, 1]))
    assert program.count("# /Split (Split)") == 3, program


class NanoGptAttention(torch.nn.Module if HAVE_TORCH else object):
    """nanoGPT's CausalSelfAttention as it runs on PyTorch 1.13 (no
    scaled_dot_product_attention): its causal mask is the buffer `bias`,
    ones on and below the diagonal, read only through `== 0`."""

    def __init__(self, n_embd, n_head, block_size, dropout=0.0, bias=True):
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = torch.nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = torch.nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = torch.nn.Dropout(dropout)
        self.resid_dropout = torch.nn.Dropout(dropout)
        self.n_head = n_head
        self.n_embd = n_embd
        self.dropout = dropout
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size))
                                     .view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        y = self.resid_dropout(self.c_proj(y))
        return y


class NanoGptClassifier(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        # A block longer than the sequence, so that the mask is sliced.
        self.attn = NanoGptAttention(n_embd=8, n_head=2, block_size=6)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):  # [B, 4, 8]
        return self.head((x + self.attn(x)).mean(1))


def test_nanogpt_causal_mask_buffer_is_a_constant(tmp_path):
    # The float initializer attn.bias reaches the outputs only through
    # Equal, so no gradient reaches it: it folds into the Where's mask
    # rather than becoming a param that SGD's weight decay could change.
    torch.manual_seed(0)
    model = NanoGptClassifier()
    program = fine_tunes_like_pytorch(tmp_path, model, torch.randn(3, 4, 8),
                                      torch.tensor([0, 2, 1]))
    assert not re.search(r"\battn_bias\b|# attn\.bias$", program, re.M), program
    assert "where(" in program, program
    params = [line.split()[1].rstrip(":") for line in program.splitlines()
              if line.startswith("param ")]
    assert sorted(params) == sorted(n.replace(".", "_") for n, _ in model.named_parameters()), \
        program
    for folder in ("params", "tuned"):
        assert "attn_bias.npy" not in os.listdir(tmp_path / folder), folder


def test_split_with_a_part_nobody_reads(tmp_path):
    torch.manual_seed(0)
    matches_pytorch(tmp_path, Lambda(lambda x: torch.split(x, [1, 5], dim=1)[1] * 2),
                    [torch.randn(2, 6, 4)], runs=[[torch.randn(3, 6, 4)]], dynamic=True)


@pytest.mark.parametrize("data", ["x0", "c"])
def test_split_with_outputs_left_unnamed(tmp_path, data):
    # ONNX may leave a variadic output's name empty; translated (x0) or
    # folded (the constant c), the named part alone is bound.
    c = np.arange(24, dtype=np.float32).reshape(6, 4)
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c)),
         helper.make_node("Split", [data, "sizes"], ["", "part", ""], name="the_split"),
         helper.make_node("Add", ["part", "x0" if data == "c" else "part"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [2 if data == "c" else 6, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(np.array([1, 2, 3], np.int64), "sizes")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.full((2, 4), 100, np.float32) if data == "c" else c
    got, program = import_and_run(tmp_path, path, [x])
    np.testing.assert_array_equal(got, c[1:3] + (100 if data == "c" else c[1:3]), err_msg=program)


def split_model(tmp_path, opset, split=None, how="input", axis=1, outputs=2, data="x0",
                extra_nodes=(), extra_inputs=()):
    """An .onnx file whose node 'the_split' splits `data` (x0, of shape
    [batch, 6, 4], or a value of `extra_nodes`) along `axis` into `outputs`
    parts, with `split` given `how`: as an "input" (an initializer), a
    "constant" (a Constant node) or an "attribute", or not at all (None);
    any other `how` names the value the sizes come from. The graph's
    outputs y0, y1, ... are the parts times 2."""
    nodes, initializers = list(extra_nodes), [numpy_helper.from_array(np.array(2, np.float32), "two")]
    inputs, attributes = [data], {"axis": axis}
    if how not in ("input", "constant", "attribute"):
        inputs.append(how)
    elif split is not None and how == "attribute":
        attributes["split"] = split
    elif split is not None:
        sizes = numpy_helper.from_array(np.array(split, np.int64), "sizes")
        if how == "input":
            initializers.append(sizes)
        else:
            nodes.append(helper.make_node("Constant", [], ["sizes"], value=sizes))
        inputs.append("sizes")
    parts = [f"part{i}" for i in range(outputs)]
    nodes.append(helper.make_node("Split", inputs, parts, name="the_split", **attributes))
    nodes += [helper.make_node("Mul", [p, "two"], [f"y{i}"]) for i, p in enumerate(parts)]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["batch", 6, 4]), *extra_inputs],
        [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, [None] * 3)
         for i in range(outputs)],
        initializers)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


@pytest.mark.parametrize("opset,how,split,axis,outputs", [
    (11, "attribute", [2, 1, 3], 1, 3),
    (11, "attribute", None, -1, 2),  # equal parts
    (13, "input", [4, 2], -2, 2),
    (13, "constant", [1, 5], 1, 2),
    (13, "input", None, 1, 3),
    (17, "input", [3, 3], 1, 2),
    (13, "input", [4], 2, 1),  # one part: the whole tensor
])
def test_split_forms_match_numpy(tmp_path, opset, how, split, axis, outputs):
    # The forms ONNX allows beside PyTorch's: split as an attribute, an
    # initializer or a Constant node, or absent for equal parts; axes
    # counted from the end.
    path = split_model(tmp_path, opset, split, how, axis, outputs)
    x = np.arange(2 * 6 * 4, dtype=np.float32).reshape(2, 6, 4)
    nn, params = tmp_path / "m.nn", tmp_path / "params"
    nnc("import", path, "-o", nn, "--params-out", params)
    np.save(tmp_path / "x.npy", x)
    nnc("run", nn, "--input", f"x0={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "out")
    bounds = np.cumsum(split)[:-1] if split else outputs
    for i, want in enumerate(np.split(x, bounds, axis=axis)):
        got = np.load(tmp_path / "out" / f"y{i}.npy")
        np.testing.assert_array_equal(got, want * 2, err_msg=nn.read_text())


def test_split_of_a_constant_folds(tmp_path):
    # The folder splits constants with the translator's rules.
    c = np.arange(12, dtype=np.float32).reshape(2, 6)
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c)),
         helper.make_node("Split", ["c", "sizes"], ["c0", "c1"], name="the_split", axis=-1),
         helper.make_node("Add", ["x0", "c1"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(np.array([2, 4], np.int64), "sizes")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.ones((2, 4), np.float32)
    got, program = import_and_run(tmp_path, path, [x])
    assert "slice(" not in program, program
    np.testing.assert_array_equal(got, x + c[:, 2:], err_msg=program)


def batch_size_as_split():
    """Nodes computing [batch size, 1] from x0 as `sizes_from_batch`."""
    def const(name, value):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.array(value, np.int64)))
    return [helper.make_node("Shape", ["x0"], ["shape"]), const("zero", [0]),
            helper.make_node("Gather", ["shape", "zero"], ["batch"]), const("one", [1]),
            helper.make_node("Concat", ["batch", "one"], ["sizes_from_batch"], axis=0)]


SPLIT_ERRORS = [  # case, split_model's arguments, the message
    ("sum_short", dict(split=[2, 2]), "split [2, 2] sums to less than the extent 6 of axis 1"),
    ("sum_long", dict(split=[4, 4], how="attribute", opset=11),
     "split [4, 4] sums to more than the extent 6 of axis 1"),
    ("entries", dict(split=[2, 4], outputs=3), "split [2, 4] has 2 entries for 3 outputs"),
    ("empty_part", dict(split=[6, 0], how="constant"),
     "split [6, 0] has an entry below 1; nnc supports positive extents only"),
    ("indivisible", dict(outputs=4), "4 equal parts do not divide the extent 6 of axis 1"),
    ("axis", dict(split=[3, 1], axis=3), "axis 3 is out of range for rank 3"),
    ("negative_axis", dict(axis=-4), "axis -4 is out of range for rank 3"),
    ("batch_axis", dict(split=[1, 1], axis=0), "splitting along the batch dimension is not supported"),
    ("computed", dict(how="sizes"), "split must be known at import time; it is computed from the data"),
    ("batch_size", dict(how="sizes_from_batch"), "split: it is computed from the batch size"),
    ("constant_data", dict(split=[1, 1], data="c"), "split [1, 1] sums to less than the extent 6 of axis 1"),
]


@pytest.mark.parametrize("case,args,why", SPLIT_ERRORS, ids=[e[0] for e in SPLIT_ERRORS])
def test_a_split_nnc_cannot_take_is_a_node_error(tmp_path, case, args, why):
    # One line naming the node and what is wrong, exit 1, nothing written;
    # the folder (constant_data) says what the translator says.
    args = dict(args, opset=args.get("opset", 13))
    if case == "computed":  # sizes an input of the graph
        args["extra_inputs"] = [helper.make_tensor_value_info("sizes", TensorProto.INT64, [2])]
    elif case == "batch_size":
        args["extra_nodes"] = batch_size_as_split()
    elif case == "constant_data":
        c = numpy_helper.from_array(np.ones((2, 6, 4), np.float32))
        args["extra_nodes"] = [helper.make_node("Constant", [], ["c"], value=c)]
    path = split_model(tmp_path, **args)
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1, lines
    assert f"node 'the_split' (Split, opset {args['opset']}): {why}" in lines[0], lines

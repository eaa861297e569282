"""What the test_onnx_*.py files of single ops share: export a PyTorch
module, `nnc import` and run the file, compare with PyTorch (outputs, and
one fine-tuning step), or check that the import fails.

CTest sets NNC and NNC_ONNX_WORK as for test_onnx_import.py; the tests
skip without torch and onnx.
"""

import importlib.util

import numpy as np

from nnc_cli import nnc

HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "onnx"))

if HAVE_TORCH:
    import torch
    import torch.nn.functional as F


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

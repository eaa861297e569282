"""Models exported at a fixed batch, as torch.onnx.export does by default:
`nnc import --dynamic-batch` takes the traced batch in their constant
shapes as the batch (with a note), so that they run and fine-tune at other
batches like PyTorch; and what stays fixed without the flag.
"""

import numpy as np
import pytest

from nnc_cli import NNC, nnc
from onnx_ops_support import (HAVE_TORCH, Lambda, export, fine_tunes_like_pytorch, runs_like_pytorch)

if HAVE_TORCH:
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


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

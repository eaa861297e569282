"""What an initializer becomes on import: a weight shared through an
Identity stays one param, statistics the exporter merged are untied into
buffers of their own, and a mask buffer read only through a comparison
folds into a constant; each fine-tuned against PyTorch's step where it
trains. Weights kept in an external data file import as the same bytes as
inline ones.
"""

import math
import os
import re

import numpy as np
import pytest

from nnc_cli import NNC, nnc
from onnx_ops_support import HAVE_TORCH, fine_tunes_like_pytorch, import_and_run, import_fails

if HAVE_TORCH:
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


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


def matmul_chain(weights):
    """y = x0 @ w0 @ w1 @ ...: a model whose initializers are `weights`."""
    nodes, previous = [], "x0"
    for i in range(len(weights)):
        output = "y" if i == len(weights) - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [previous, f"w{i}"], [output]))
        previous = output
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["batch", weights[0].shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", weights[-1].shape[1]])],
        [numpy_helper.from_array(w, f"w{i}") for i, w in enumerate(weights)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def save_with_external_data(model, path, location="weights.bin"):
    """Saves `model` with every initializer in the one file `location` beside it."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)  # saving moves the copy's weights out
    onnx.save_model(copy, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location, size_threshold=0)


def test_weights_in_one_shared_external_file_import_as_inline_ones(tmp_path):
    # Each tensor is read from its own range of the shared file: every
    # weight must come out bitwise as the inline model's does.
    rng = np.random.default_rng(0)
    shapes = [(5, 7), (7, 3), (3, 3), (3, 8), (8, 2)]
    model = matmul_chain([rng.standard_normal(s).astype(np.float32) for s in shapes])
    (tmp_path / "inline").mkdir()
    (tmp_path / "external").mkdir()
    onnx.save(model, str(tmp_path / "inline" / "m.onnx"))
    save_with_external_data(model, tmp_path / "external" / "m.onnx")
    assert len(os.listdir(tmp_path / "external")) == 2, "the weights are not in one file"
    for kind in ("inline", "external"):
        nnc("import", tmp_path / kind / "m.onnx", "-o", tmp_path / kind / "m.nn",
            "--params-out", tmp_path / kind / "params")
    for i, shape in enumerate(shapes):
        inline = np.load(tmp_path / "inline" / "params" / f"w{i}.npy")
        external = np.load(tmp_path / "external" / "params" / f"w{i}.npy")
        assert external.shape == shape and external.dtype == np.float32, f"w{i}"
        assert external.tobytes() == inline.tobytes(), f"w{i}"
        assert inline.tobytes() == numpy_helper.to_array(model.graph.initializer[i]).tobytes()


def test_external_data_past_the_end_of_its_file_is_refused(tmp_path):
    model = matmul_chain([np.ones((4, 4), np.float32), np.ones((4, 2), np.float32)])
    path = tmp_path / "m.onnx"
    save_with_external_data(model, path)
    data = tmp_path / "weights.bin"
    size = data.stat().st_size
    # w1 is the last tensor in the file: cut its last float off.
    os.truncate(data, size - 4)
    stored = {e.key: e.value for e in onnx.load(str(path), load_external_data=False)
              .graph.initializer[1].external_data}
    assert int(stored["offset"]) + int(stored["length"]) == size, stored
    stderr = import_fails(tmp_path, path)
    assert stderr == (f"error: {path}: initializer 'w1': its external data "
                      f"({stored['length']} bytes at offset {stored['offset']}) runs past the "
                      f"end of '{data}' ({size - 4} bytes)\n"), stderr


@pytest.mark.parametrize("key,value", [("length", "-4"), ("offset", "abc"),
                                       ("offset", "64x"), ("length", "")])
def test_an_external_data_range_that_is_no_count_of_bytes_is_refused(tmp_path, key,
                                                                     value):
    # A negative length read to the end of the file, and an offset that was
    # no number read from its start.
    model = matmul_chain([np.ones((4, 4), np.float32), np.ones((4, 2), np.float32)])
    path = tmp_path / "m.onnx"
    save_with_external_data(model, path)
    edited = onnx.load(str(path), load_external_data=False)
    for entry in edited.graph.initializer[1].external_data:
        if entry.key == key:
            entry.value = value
    onnx.save(edited, str(path))
    stderr = import_fails(tmp_path, path)
    assert stderr == (f"error: {path}: initializer 'w1': external data {key} "
                      f"'{value}' is not a count of bytes\n"), stderr


def test_external_data_starting_with_the_gzip_magic_is_read_as_is(tmp_path):
    # ONNX external data is raw bytes: a weight whose first bytes are
    # 1f 8b (w[0, 0] == 0.5333728, an ordinary value) is not a gzip stream.
    w = np.full((3, 4), 0.25, np.float32)
    w.view(np.uint8)[0, :4] = [0x1f, 0x8b, 0x08, 0x3f]
    path = tmp_path / "m.onnx"
    save_with_external_data(matmul_chain([w]), path)
    assert (tmp_path / "weights.bin").read_bytes()[:2] == b"\x1f\x8b"
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got, program = import_and_run(tmp_path, path, [x])
    np.testing.assert_array_equal(np.load(tmp_path / "params" / "w0.npy"), w)
    np.testing.assert_allclose(got, x @ w, rtol=1e-6, err_msg=program)

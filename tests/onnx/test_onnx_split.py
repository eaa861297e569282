"""ONNX Split: torch.split (opsets 11, 13 and 17), torch.chunk and a
nanoGPT attention block splitting its qkv, each run and fine-tuned one SGD
step against PyTorch's; the other forms of Split (attribute, initializer,
Constant node, equal parts, constant data) against NumPy; and the splits
nnc cannot take, refused at the node.
"""

import math

import numpy as np
import pytest

from nnc_cli import NNC, nnc
from onnx_ops_support import (HAVE_TORCH, Lambda, fine_tunes_like_pytorch, import_and_run,
                              import_fails, matches_pytorch)

if HAVE_TORCH:
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


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

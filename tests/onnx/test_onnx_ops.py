"""Single ops and small PyTorch idioms, each exported on its own, imported,
run, and compared with PyTorch: Flatten, AvgPool2d counting its padding,
Expand over a dynamic batch, Gather, GELUs written by hand, and Reciprocal
(also against numpy).

CTest sets NNC and NNC_ONNX_WORK as for test_onnx_import.py. Each case is
a module of a few nodes, so that a failure points at one translation;
onnx_ops_support.py holds the export and comparison they share.
"""

import math

import numpy as np
import pytest

from nnc_cli import NNC
from onnx_ops_support import (HAVE_TORCH, Lambda, fine_tunes_like_pytorch, import_and_run,
                              matches_pytorch)

if HAVE_TORCH:
    import onnx
    import torch
    from onnx import TensorProto, helper

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


def test_flatten_with_a_negative_axis(tmp_path):
    # torch.flatten(x, 0, -2) exports Flatten(axis=-1): -1 counts from the
    # rank, keeping the last axis apart, [2, 3, 4] -> [6, 4].
    torch.manual_seed(0)
    program = matches_pytorch(tmp_path, Lambda(lambda x: torch.flatten(x, 0, -2) * 2),
                              [torch.randn(2, 3, 4)])
    assert "shape=[6, 4]" in program, program


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


def test_reciprocal_of_a_run_time_tensor(tmp_path):
    # ONNX's Reciprocal on its own, over a dynamic batch, against numpy.
    graph = helper.make_graph(
        [helper.make_node("Reciprocal", ["x0"], ["y"])], "g",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.array([[1, -2, 0.5], [4, -0.25, 3], [1e-3, -7, 1e3]], np.float32)
    got, program = import_and_run(tmp_path, path, [x])
    assert "1 / x0" in program, program
    np.testing.assert_allclose(got, np.reciprocal(x), rtol=1e-6, err_msg=program)


class OneOverLinear(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)

    def forward(self, x):
        h = self.linear(x)
        return 1.0 / (h * h + 0.5)


def test_one_divided_by_a_tensor_as_pytorch_exports_it(tmp_path):
    # PyTorch 1.13 exports 1.0 / x as Reciprocal (then a Mul by 1); the
    # import fine-tunes as PyTorch does through it.
    torch.manual_seed(0)
    program = fine_tunes_like_pytorch(tmp_path, OneOverLinear(), torch.randn(5, 4),
                                      torch.tensor([0, 2, 1, 1, 0]))
    assert "Reciprocal" in [n.op_type for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    assert "1 / " in program, program

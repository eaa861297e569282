"""What the importer refuses, each in one line naming the node responsible,
exit 1 and nothing written: an F.pad, a constant holding NaN, the batch
moved off the front or read as a number, and an op nnc lacks.
"""

import pytest

from nnc_cli import NNC
from onnx_ops_support import HAVE_TORCH, Lambda, export, import_fails

if HAVE_TORCH:
    import torch
    import torch.nn.functional as F

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


def test_padding_nnc_cannot_fold_names_the_pad(tmp_path):
    # F.pad's amounts come reversed by a constant Slice of step -1, which
    # folds, so that the message is about the Pad.
    path = export(tmp_path, Lambda(lambda x: F.pad(x, (1, 1, 1, 1)) * 2), [torch.randn(2, 3, 4, 4)])
    stderr = import_fails(tmp_path, path)
    assert "'/Pad' (Pad, opset 13): padding [0, 0, 1, 1, 0, 0, 1, 1]" in stderr, stderr
    assert "Slice" not in stderr, stderr


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

"""What the importer refuses, each in one line naming the node responsible,
exit 1 and nothing written: an F.pad, a constant holding NaN (read by
element-wise ops, convolutions, pools and normalisations alike), the batch
moved off the front or read as a number, and an op nnc lacks.
"""

import numpy as np
import pytest

from nnc_cli import NNC
from onnx_ops_support import HAVE_TORCH, Lambda, export, import_fails

if HAVE_TORCH:
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper

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


def nan_image_model(op, extra_inputs=(), initializers=(), opset=13, **attributes):
    """A Constant [1, 1, 4, 4] image holding NaN read by the node `op`
    (named 'reader'), whose output is added to the input x."""
    image = np.zeros((1, 1, 4, 4), np.float32)
    image[0, 0, 0, 0] = np.nan
    nodes = [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(image, "kv")),
             helper.make_node(op, ["k", *extra_inputs], ["z"], name="reader", **attributes),
             helper.make_node("Add", ["x", "z"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])],
        [numpy_helper.from_array(np.ones(s, np.float32), n) for n, s in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize("op", ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool",
                                "GlobalMaxPool", "BatchNormalization", "LayerNormalization"])
def test_a_constant_image_holding_nan_is_a_node_error_for_layers_too(tmp_path, op):
    # These read their image as data as Relu does; they aborted the
    # importer (std::bad_variant_access) instead of naming the node.
    model = {
        "Conv": lambda: nan_image_model(op, ["w"], [("w", (1, 1, 1, 1))]),
        "MaxPool": lambda: nan_image_model(op, kernel_shape=[1, 1]),
        "AveragePool": lambda: nan_image_model(op, kernel_shape=[1, 1]),
        "GlobalAveragePool": lambda: nan_image_model(op),
        "GlobalMaxPool": lambda: nan_image_model(op),
        "BatchNormalization": lambda: nan_image_model(
            op, ["s", "b", "m", "v"], [(n, (1,)) for n in "sbmv"]),
        # No B: the zero shift the importer makes is declared before the image.
        "LayerNormalization": lambda: nan_image_model(op, ["s"], [("s", (4,))], opset=17),
    }[op]()
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and f"'reader' ({op}," in lines[0] and \
        "a constant used as data holds NaN (element 0)" in lines[0], lines


def test_a_layer_norm_scale_holding_nan_is_the_scales_node_error(tmp_path):
    # The ReduceMean ... Div, Mul, Add chain of a layer norm before opset 17
    # whose scale is a Constant holding NaN: the pattern leaves the nodes
    # to themselves, and the Mul reports it.
    scale = np.ones(4, np.float32)
    scale[2] = np.nan

    def constant(name, value):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(value, name + "_value"))

    nodes = [constant("gamma", scale),
             helper.make_node("ReduceMean", ["x"], ["mean"], axes=[-1]),
             helper.make_node("Sub", ["x", "mean"], ["centred"]),
             constant("two", np.float32(2)),
             helper.make_node("Pow", ["centred", "two"], ["square"]),
             helper.make_node("ReduceMean", ["square"], ["variance"], axes=[-1]),
             constant("eps", np.float32(1e-5)),
             helper.make_node("Add", ["variance", "eps"], ["shifted"]),
             helper.make_node("Sqrt", ["shifted"], ["deviation"]),
             helper.make_node("Div", ["centred", "deviation"], ["normalised"]),
             helper.make_node("Mul", ["normalised", "gamma"], ["y"], name="scale")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    lines = import_fails(tmp_path, path).splitlines()
    assert len(lines) == 1 and "'scale' (Mul," in lines[0] and \
        "a constant used as data holds NaN (element 2)" in lines[0], lines


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

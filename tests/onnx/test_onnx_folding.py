"""The importer's constant folder on small hand-built graphs: Flatten of a
constant, integer arithmetic in int64, and the folds that have no result,
refused at their node.
"""

import numpy as np
import pytest

from nnc_cli import NNC
from onnx_ops_support import HAVE_TORCH, import_and_run, import_fails

if HAVE_TORCH:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

pytestmark = [pytest.mark.skipif(NNC is None, reason="set NNC to the nnc binary"),
              pytest.mark.skipif(not HAVE_TORCH, reason="torch and onnx are needed")]


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

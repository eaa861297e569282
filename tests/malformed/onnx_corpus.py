#!/usr/bin/env python3
"""Runs `nnc import` over hostile ONNX files (CTest: malformed-onnx).

The files are generated here with the onnx package rather than kept as
binary blobs. Each must be refused with exit code 1, every stderr line an
`error:` line, the expected words in it, exactly one line where the case is
a whole-file problem, and nothing written: no .nn file and no weights.

Exits 77 (CTest's skip code) when the onnx package is missing.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as missing:  # pragma: no cover - depends on the machine
    print("skipped: %s" % missing)
    sys.exit(77)

OPSET = 13


def model_of(nodes, inputs, outputs, initializers=(), opset=OPSET):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def relu_model(opset=OPSET):
    return model_of([helper.make_node("Relu", ["x"], ["y"], name="r")],
                    [tensor("x", ["batch", 4])], [tensor("y", ["batch", 4])],
                    opset=opset)


def cases(golden):
    """(name, bytes or model, expected substrings, one line only)."""
    yield "empty", b"", ["empty file"], True
    yield "truncated", golden[: len(golden) // 2], ["not an ONNX model"], True
    rng = random.Random(7)
    yield "random-bytes", bytes(rng.randrange(256) for _ in range(4096)), \
        ["not an ONNX model"], True
    yield "old-opset", relu_model(opset=9), ["opset 9 is not supported"], True

    undefined = model_of([helper.make_node("Relu", ["nowhere"], ["y"], name="r")],
                         [tensor("x", [2, 4])], [tensor("y", [2, 4])])
    yield "undefined-input", undefined, ["rejected by the ONNX checker"], True

    cycle = model_of([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                      helper.make_node("Relu", ["a"], ["b"], name="second")],
                     [tensor("x", [2, 4])], [tensor("b", [2, 4])])
    yield "cycle", cycle, ["cycle"], True

    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    external = model_of([helper.make_node("MatMul", ["x", "w"], ["y"], name="m")],
                        [tensor("x", ["batch", 4])], [tensor("y", ["batch", 4])],
                        [weight])
    outside = onnx.ModelProto()
    outside.CopyFrom(external)
    for model, location in ((external, "weights.bin"),
                            (outside, "../../../../etc/passwd")):
        init = model.graph.initializer[0]
        init.ClearField("raw_data")
        init.data_location = TensorProto.EXTERNAL
        entry = init.external_data.add()
        entry.key, entry.value = "location", location
    yield "missing-external-data", external, ["missing external data"], True
    yield "external-data-outside", outside, ["not a path inside"], True

    unsupported = model_of(
        [helper.make_node("Relu", ["x"], ["r"], name="fine"),
         helper.make_node("Hardmax", ["r"], ["h"], name="the_hardmax"),
         helper.make_node("TopK", ["x", "k"], ["v", "i"], name="the_topk"),
         helper.make_node("Conv", ["x4", "w4"], ["c"], name="lopsided_conv",
                          pads=[0, 0, 1, 1]),
         helper.make_node("Relu", ["c"], ["c2"], name="after_conv")],
        [tensor("x", [2, 4]), tensor("x4", [1, 1, 5, 5]),
         tensor("k", [1], TensorProto.INT64)],
        [tensor("h", [2, 4]), tensor("v", [2, 1]), tensor("c2", [1, 1, 5, 5])],
        [numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w4")])
    # Every offending node, by name, op and opset; not the one reading a
    # failed node's result.
    yield "unsupported-ops", unsupported, [
        "'the_hardmax' (Hardmax, opset 13)", "'the_topk' (TopK, opset 13)",
        "'lopsided_conv' (Conv, opset 13): asymmetric padding"], False

    # The checker refuses attributes ONNX does not define; these are
    # defined ones with values nnc cannot express.
    dilated = model_of(
        [helper.make_node("MaxPool", ["x"], ["y"], name="dilated_pool",
                          kernel_shape=[2, 2], dilations=[2, 2])],
        [tensor("x", [1, 1, 8, 8])], [tensor("y", [1, 1, 6, 6])])
    yield "dilated-pool", dilated, ["'dilated_pool' (MaxPool, opset 13)",
                                    "dilated pooling"], True
    training_bn = model_of(
        [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                          ["y", "rm", "rv"], name="bn_training",
                          training_mode=1)],
        [tensor("x", [2, 3])], [tensor("y", [2, 3])],
        [numpy_helper.from_array(np.ones(3, np.float32), n)
         for n in ("s", "b", "m", "v")], opset=15)
    yield "training-batchnorm", training_bn, ["inference-mode"], True

    dynamic = model_of([helper.make_node("Relu", ["x"], ["y"], name="r")],
                       [tensor("x", ["batch", "seq"])],
                       [tensor("y", ["batch", "seq"])])
    yield "dynamic-inner-axis", dynamic, ["axis 1 is dynamic"], True

    # ONNX's checker leaves Gemm's C type alone (found by onnx-fuzz-short).
    gemm = model_of(
        [helper.make_node("Gemm", ["x", "w", "c"], ["y"], name="int_bias")],
        [tensor("x", ["batch", 4])], [tensor("y", ["batch", 3])],
        [numpy_helper.from_array(np.ones((4, 3), np.float32), "w"),
         numpy_helper.from_array(np.ones(3, np.int32), "c")])
    yield "gemm-int-bias", gemm, ["'int_bias' (Gemm, opset 13)",
                                  "C must have the type of A and B"], True

    # raw_data of 5 floats where the shape needs 12: the count it holds.
    short = numpy_helper.from_array(np.ones((3, 4), np.float32), "W")
    short.raw_data = short.raw_data[:20]
    short_raw = model_of(
        [helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
        [tensor("x", [2, 4])], [tensor("y", [2, 3])], [short])
    yield "short-raw-data", short_raw, ["'W' holds 5 elements where its shape needs 12"], True

    # Attribute values ONNX forbids: a stride of 0 divided by zero (SIGFPE),
    # with and without auto_pad.
    weight4 = [numpy_helper.from_array(np.zeros((3, 4, 3, 3), np.float32), "w")]
    image = [tensor("x", ["batch", 4, 6, 6])]
    conv_cases = (("conv-stride-0", dict(strides=[0, 0]), "strides [0, 0] must be positive"),
                  ("conv-stride-0-same", dict(strides=[0, 1], auto_pad="SAME_UPPER"),
                   "strides [0, 1] must be positive"),
                  ("conv-stride-negative", dict(strides=[-1, -1]), "strides [-1, -1] must be positive"),
                  ("conv-dilation-0", dict(dilations=[0, 0]), "dilations [0, 0] must be positive"),
                  ("conv-pads-negative", dict(pads=[-1, -1, -1, -1]),
                   "pads [-1, -1, -1, -1] must not be negative"),
                  ("conv-stride-huge", dict(strides=[2**62, 1]), "strides [4611686018427387904, 1] is out of range"))
    for name, attributes, words in conv_cases:
        conv = model_of([helper.make_node("Conv", ["x", "w"], ["y"], name="the_conv", **attributes)],
                        image, [tensor("y", ["batch", 3, 4, 4])], weight4)
        yield name, conv, ["'the_conv' (Conv, opset 13): " + words], True
    # A bias of the wrong size or type, refused at the node as the weight
    # is, not by the type check of the imported program (four lines, not at
    # the node).
    bias_cases = (("conv-bias-size", np.ones(5, np.float32), "bias must be [3]; got [5]"),
                  ("conv-bias-type", np.ones(3, np.int64),
                   "the bias must have the type of the input"))
    for name, bias, words in bias_cases:
        conv = model_of(
            [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="the_conv")],
            image, [tensor("y", ["batch", 3, 4, 4])],
            weight4 + [numpy_helper.from_array(bias, "b")])
        yield name, conv, ["'the_conv' (Conv, opset 13): " + words], True
    pool_cases = (("MaxPool", dict(kernel_shape=[2, 2], strides=[0, 0]), "strides [0, 0] must be positive"),
                  ("AveragePool", dict(kernel_shape=[2, 2], strides=[0, 0], auto_pad="SAME_UPPER"),
                   "strides [0, 0] must be positive"),
                  ("MaxPool", dict(kernel_shape=[2, 2], strides=[-1, -1]), "strides [-1, -1] must be positive"),
                  ("MaxPool", dict(kernel_shape=[-2, -2]), "kernel_shape [-2, -2] must be positive"),
                  ("AveragePool", dict(kernel_shape=[0, 0]), "kernel_shape [0, 0] must be positive"),
                  ("MaxPool", dict(kernel_shape=[2, 2], pads=[-1, -1, -1, -1]),
                   "pads [-1, -1, -1, -1] must not be negative"))
    for index, (op, attributes, words) in enumerate(pool_cases):
        pool = model_of([helper.make_node(op, ["x"], ["y"], name="the_pool", **attributes)],
                        image, [tensor("y", ["batch", 4, 3, 3])])
        yield "pool-%d" % index, pool, ["'the_pool' (%s, opset 13): %s" % (op, words)], True

    # Constants folded at import: a negative or huge extent must be refused
    # before anything is allocated (these hung, ran out of memory or aborted).
    def folded_sum(nodes, initializers):
        return model_of(nodes + [helper.make_node("ReduceSum", ["c"], ["s"], keepdims=0),
                                 helper.make_node("Add", ["x", "s"], ["y"])],
                        [tensor("x", ["batch", 4])], [tensor("y", ["batch", 4])],
                        [numpy_helper.from_array(v, k) for k, v in initializers])
    fill = helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])
    for name, shape, words in (("cos-negative", [-1, 4], "negative extent"),
                               ("cos-negatives", [-2, -3], "negative extent"),
                               ("cos-huge", [2**20, 2**20, 4], "more than 2^28 elements"),
                               ("cos-wrapping", [2**32, 2**32, 4], "more than 2^28 elements")):
        model = folded_sum([helper.make_node("ConstantOfShape", ["shape"], ["c"], name="the_cos", value=fill)],
                           [("shape", np.array(shape, np.int64))])
        yield name, model, ["'the_cos' (ConstantOfShape, opset 13)", words], True
    zero = folded_sum([helper.make_node("ConstantOfShape", ["shape"], ["c"], name="the_cos", value=fill)],
                      [("shape", np.array([0, 4], np.int64))])
    yield "cos-zero-extent", zero, ["(ReduceSum, opset 13)", "no axis of extent 0"], True
    for name, dtype, limit, words in (("range-huge", np.float32, 2.0**40, "more than 2^28 elements"),
                                      ("range-huge-int", np.int64, 2**40, "more than 2^28 elements"),
                                      ("range-infinite", np.float32, np.inf, "must be finite"),
                                      ("range-nan", np.float32, np.nan, "must be finite")):
        model = folded_sum([helper.make_node("Range", ["a", "b", "d"], ["c"], name="the_range")],
                           [("a", np.array(0, dtype)), ("b", np.array(limit, dtype)),
                            ("d", np.array(1, dtype))])
        yield name, model, ["'the_range' (Range, opset 13)", words], True

    # Invalid content is the file's problem, named at its node or input, not
    # "a bug in the importer" at a program that was never written.
    int_relu = model_of([helper.make_node("Relu", ["x"], ["y"], name="r")],
                        [tensor("x", ["batch", 4], TensorProto.INT32)],
                        [tensor("y", ["batch", 4], TensorProto.INT32)])
    yield "int-relu", int_relu, ["'r' (Relu, opset 13): needs a float operand; got i32"], True
    bad_perm = model_of([helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[0, 2, 2])],
                        [tensor("x", ["batch", 4, 6])], [tensor("y", ["batch", 6, 6])])
    yield "perm-repeated", bad_perm, ["'t' (Transpose, opset 13): perm [0, 2, 2] is not a permutation"], True
    concat = model_of([helper.make_node("Concat", ["x", "z"], ["y"], name="cat", axis=1)],
                      [tensor("x", ["batch", 4, 6]), tensor("z", ["batch", 2, 5])],
                      [tensor("y", ["batch", 6, 6])])
    yield "concat-mismatch", concat, ["'cat' (Concat, opset 13): operands [B, 4, 6] and [B, 2, 5] differ off the axis 1"], True
    for name, shape, words in (("input-huge", ["batch", 2**62], "more than 2^40 elements"),
                               ("input-extent-0", ["batch", 0], "axis 1 has extent 0"),
                               ("input-extent-negative", ["batch", -3], "axis 1 has extent -3")):
        relu = model_of([helper.make_node("Relu", ["x"], ["y"], name="r")],
                        [tensor("x", shape)], [tensor("y", shape)])
        yield name, relu, ["input 'x'", words], True
    log_softmax = model_of([helper.make_node("LogSoftmax", ["x"], ["y"], name="ls", axis=1)],
                           [tensor("x", ["batch", 3, 4])], [tensor("y", ["batch", 3, 4])], opset=11)
    yield "log-softmax-axis", log_softmax, [
        "'ls' (LogSoftmax, opset 11): before opset 13, LogSoftmax over axes 1..2"], True

    # A Dropout exported in training mode: the way out is in the message.
    dropout = model_of([helper.make_node("Dropout", ["x"], ["y", "mask"], name="d"),
                        helper.make_node("Cast", ["mask"], ["m"], to=TensorProto.FLOAT),
                        helper.make_node("Mul", ["y", "m"], ["z"])],
                       [tensor("x", ["batch", 4])], [tensor("z", ["batch", 4])])
    yield "dropout-mask", dropout, [
        "'d' (Dropout, opset 13): the mask output is not supported; export the "
        "model in eval mode and add dropout(x, rate=P) to the program"], True

    half = model_of([helper.make_node("Relu", ["x"], ["y"], name="r")],
                    [tensor("x", [2, 4], TensorProto.FLOAT16)],
                    [tensor("y", [2, 4], TensorProto.FLOAT16)])
    yield "float16", half, ["element type"], True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", required=True)
    ap.add_argument("--golden", required=True, help="a valid .onnx file")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    with open(args.golden, "rb") as f:
        golden = f.read()

    failures = []
    count = 0
    for name, content, expected, one_line in cases(golden):
        count += 1
        path = os.path.join(args.work, name + ".onnx")
        data = content if isinstance(content, bytes) else content.SerializeToString()
        with open(path, "wb") as f:
            f.write(data)
        out_nn = os.path.join(args.work, name + ".nn")
        out_params = os.path.join(args.work, name + ".params")
        run = subprocess.run([args.nnc, "import", path, "-o", out_nn,
                              "--params-out", out_params],
                             capture_output=True, text=True, timeout=60)
        lines = run.stderr.splitlines()
        problems = []
        if run.returncode != 1:
            problems.append("exit code %d, not 1" % run.returncode)
        if not lines or any(not line.startswith("error: ") for line in lines):
            problems.append("stderr lines are not all 'error:' lines")
        if one_line and len(lines) != 1:
            problems.append("%d lines, not one" % len(lines))
        for words in expected:
            if not any(words in line for line in lines):
                problems.append("no line says %r" % words)
        if name == "unsupported-ops" and any("after_conv" in l or "'fine'" in l
                                             for l in lines):
            problems.append("reports a node that is not at fault")
        if os.path.exists(out_nn) or os.path.exists(out_params):
            problems.append("wrote output")
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print("%-24s %s" % (name, status))
        if problems:
            failures.append(name)
            print("  stderr: " + run.stderr.replace("\n", "\n          "))
    print("%d cases, %d failures" % (count, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

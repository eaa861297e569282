#!/usr/bin/python3
"""Exports the test models to ONNX with reference inputs, outputs and gradients.

    export_models.py OUTDIR [--models mlp,lenet,...] [--opset N] [--ops-file F]

For each model NAME it writes, into OUTDIR:
  NAME.onnx                 the export, batch dimension dynamic
  NAME.in.b1.npy, .b5.npy   inputs of batch 1 and 5 (fixed seed)
  NAME.out.b1.npy, .b5.npy  PyTorch's logits for them, f32
and for resnet also resnet.labels.b5.npy (i32) and resnet.grads/PARAM.npy, the
gradient of the mean cross-entropy (eval mode) for every parameter, named by
its sanitised ONNX initializer name.

It prints each graph's op types and opset, and appends them to --ops-file.
"""

import argparse
import os
import re
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

BATCHES = (1, 5)


def sanitize(name):
    """The importer's mapping from an ONNX name to a .nn identifier."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return "v_" + s if s[:1].isdigit() else s


def make_input(name, shape, dtype, batch, seed):
    g = torch.Generator().manual_seed(seed)
    if dtype == torch.int64:
        return torch.randint(0, models.VOCAB, [batch] + shape, generator=g)
    return torch.randn([batch] + shape, generator=g)


def export(model, example, input_name, path, opset):
    # TrainingMode.EVAL would run torch's eval peephole, which fuses each
    # BatchNormalization into its Conv and renames the weights onnx::Conv_NNN;
    # PRESERVE on a model already in eval mode exports the same inference
    # graph without it. do_constant_folding=False keeps Transpose(W) before
    # a MatMul as a node: folded, W becomes a new initializer onnx::MatMul_NNN.
    # Either rename would lose the state_dict names the parameter files and
    # reference gradients are keyed on.
    assert not model.training
    torch.onnx.export(
        model, (example,), path,
        opset_version=opset,
        input_names=[input_name],
        output_names=["logits"],
        dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        export_params=True,
        keep_initializers_as_inputs=False)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    return proto


def check_names(name, model, proto):
    """Every parameter and running statistic is an initializer under its state_dict name."""
    inits = {i.name for i in proto.graph.initializer}
    wanted = [n for n, _ in model.named_parameters()]
    wanted += [n for n, _ in model.named_buffers() if not n.endswith("num_batches_tracked")]
    missing = [n for n in wanted if n not in inits]
    if missing:
        sys.exit(f"{name}: not ONNX initializers under their state_dict names: {missing}; "
                 f"initializers are {sorted(inits)}")
    ops = {n.op_type for n in proto.graph.node}
    if any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) \
            and "BatchNormalization" not in ops:
        sys.exit(f"{name}: the export folded BatchNormalization away")


def op_listing(name, proto):
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    counts = {}
    for n in proto.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    ops = ", ".join(f"{op}x{counts[op]}" if counts[op] > 1 else op for op in sorted(counts))
    return f"{name} opset {opset}: {ops}"


def write_grads(model, x, outdir, proto):
    g = torch.Generator().manual_seed(1234)
    labels = torch.randint(0, models.CLASSES["resnet"], [x.shape[0]], generator=g)
    np.save(os.path.join(outdir, "resnet.labels.b5.npy"), labels.numpy().astype(np.int32))
    model.zero_grad()
    # Eval mode: batch norm uses its running statistics, as `nnc grad` does
    # without --training-mode.
    F.cross_entropy(model(x), labels).backward()
    gdir = os.path.join(outdir, "resnet.grads")
    os.makedirs(gdir, exist_ok=True)
    inits = {i.name for i in proto.graph.initializer}
    for pname, p in model.named_parameters():
        assert pname in inits, pname
        np.save(os.path.join(gdir, sanitize(pname) + ".npy"),
                p.grad.detach().numpy().astype(np.float32))
    model.zero_grad()


def export_one(name, outdir, opset):
    model, (input_name, shape, dtype) = models.BUILDERS[name]()
    example = make_input(input_name, shape, dtype, 2, seed=99)
    proto = export(model, example, input_name, os.path.join(outdir, name + ".onnx"), opset)
    check_names(name, model, proto)
    for b in BATCHES:
        x = make_input(input_name, shape, dtype, b, seed=1000 + b)
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(outdir, f"{name}.in.b{b}.npy"), x.numpy())
        np.save(os.path.join(outdir, f"{name}.out.b{b}.npy"), y.numpy().astype(np.float32))
    if name == "resnet":
        write_grads(model, make_input(input_name, shape, dtype, 5, seed=1005), outdir, proto)
    return proto


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--models", default=",".join(models.BUILDERS))
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--ops-file", help="append each model's op listing to this file")
    args = ap.parse_args(argv)
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in models.BUILDERS]
    if unknown:
        ap.error(f"unknown models {unknown}; known: {sorted(models.BUILDERS)}")
    os.makedirs(args.outdir, exist_ok=True)
    for name in names:
        line = op_listing(name, export_one(name, args.outdir, args.opset))
        print(line, flush=True)
        if args.ops_file:
            with open(args.ops_file, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()

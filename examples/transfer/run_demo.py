#!/usr/bin/python3
"""Transfer learning end to end: a PyTorch backbone fine-tuned by nnc.

    run_demo.py --nnc PATH --work DIR [--per-class K] [--subsets N]
                [--head-only] [--epochs E] [--lr X] [--seed S] [--backend NAME]

Pretrains a CNN on digits 0-4 in PyTorch and exports it to ONNX
(pretrain.py), imports it with `nnc import`, replaces its head with a new
one for digits 5-9, freezes its convolutions, and fine-tunes fc1 and the
new head with `nnc train` on K examples per digit (default 2); then
evaluates it with `nnc eval`. It trains the same network from scratch on
the same examples with the same settings, for comparison, and repeats both
on N training sets drawn with different seeds (default 5). Exits 1 when the
mean fine-tuned accuracy is not clearly above chance (0.2) or a frozen
parameter changed.
"""

import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = ("head_weight", "head_bias")  # the pretrained head: torch's head.weight, head.bias
NEW_HEAD = ("new_head_w", "new_head_b")
FROZEN = ("conv1_", "conv2_")  # the convolutions; fc1 is fine-tuned with the new head
MIN_ACCURACY = 0.5  # chance is 0.2 for five classes

# The same settings for fine-tuning and for training from scratch.
TRAIN = """
train {{
  optimizer = adam(lr={lr})
  epochs = {epochs}
  batch = 20
  seed = 0{freeze}
}}
"""

PARAM = re.compile(r"^param\s+(\w+)\s*:\s*(\w+)\[([^\]]*)\](.*)$")
BINDING = re.compile(r"^(let|output)\s+(\w+)\s*=\s*([^#]*)")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(expr):
    """Value names an expression reads: identifiers that are not calls or attribute names."""
    names = set()
    for m in IDENT.finditer(expr):
        rest = expr[m.end():].lstrip()
        if rest.startswith("(") or (rest.startswith("=") and not rest.startswith("==")):
            continue
        if m.group() not in ("true", "false"):
            names.add(m.group())
    return names


def replace_head(source):
    """Returns (the model with a new, trainable head; the backbone's parameter names).

    Every binding computed from the old head's parameters is dropped and the
    last of them (the logits) is recomputed from the features it read, so
    this works however the importer spelled the Gemm (one expression or
    several lets)."""
    lines = source.splitlines()
    params, head_in = [], None
    for line in lines:
        m = PARAM.match(line.strip())
        if m:
            params.append(m.group(1))
            if m.group(1) == HEAD[0]:
                head_in = int(m.group(3).split(",")[1])  # PyTorch layout: [out, in]
    if head_in is None or HEAD[1] not in params:
        sys.exit(f"error: the imported model has no parameters {HEAD}")

    tainted, features, head_lines = set(HEAD), set(), []
    for k, line in enumerate(lines):
        m = BINDING.match(line.strip())
        if m and identifiers(m.group(3)) & tainted:
            tainted.add(m.group(2))
            features |= identifiers(m.group(3))
            head_lines.append(k)
    features -= tainted
    if len(features) != 1 or not head_lines:
        sys.exit(f"error: cannot find the head's input: it reads {sorted(features)}")
    (feat,) = features
    last = BINDING.match(lines[head_lines[-1]].strip())
    keyword, logits = last.group(1), last.group(2)

    out = []
    for k, line in enumerate(lines):
        m = PARAM.match(line.strip())
        if m and m.group(1) in HEAD:
            continue
        if k == head_lines[-1]:
            out.append(f"param {NEW_HEAD[0]}: f32[{head_in}, 5] = glorot")
            out.append(f"param {NEW_HEAD[1]}: f32[5] = zeros")
            out.append(f"{keyword} {logits} = {feat} @ {NEW_HEAD[0]} + {NEW_HEAD[1]}")
        elif k not in head_lines:
            out.append(line)
    out.append("")
    out.append("input labels: i32[B]")
    out.append(f"loss = softmax_cross_entropy({logits}, labels)")
    return "\n".join(out) + "\n", [p for p in params if p not in HEAD]


def with_initializers(source):
    """The model with every parameter starting from a random initializer, for training from scratch."""
    out = []
    for line in source.splitlines():
        m = PARAM.match(line.strip())
        if m and m.group(1) not in NEW_HEAD:
            rank = len(m.group(3).split(","))
            init = "he" if rank >= 2 else "zeros"
            line = f"param {m.group(1)}: {m.group(2)}[{m.group(3)}] = {init}"
        out.append(line)
    return "\n".join(out) + "\n"


def step(title, cmd, show=True):
    if show:
        print(f"$ {' '.join(cmd)}", flush=True)
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {title} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    if show:
        print(f"  {title}: {time.time() - start:.1f}s")
    return done.stdout


def accuracy(eval_stdout):
    m = re.search(r"accuracy\s+([0-9.]+)", eval_stdout)
    if not m:
        sys.exit(f"error: no accuracy in nnc eval's output:\n{eval_stdout}")
    return float(m.group(1))


def changed_params(before_dir, after_dir, names):
    """The names whose .npy in after_dir differs from before_dir's in dtype, shape or bytes."""
    changed = []
    for name in names:
        before = np.load(os.path.join(before_dir, name + ".npy"))
        after = np.load(os.path.join(after_dir, name + ".npy"))
        if before.dtype != after.dtype or before.shape != after.shape or before.tobytes() != after.tobytes():
            changed.append(name)
    return changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nnc", required=True, help="the nnc binary")
    ap.add_argument("--work", required=True, help="folder for every file the demo writes")
    ap.add_argument("--per-class", type=int, default=2, help="training examples of each new digit (default 2)")
    ap.add_argument("--subsets", type=int, default=5, help="training sets, drawn with seeds 0..N-1 (default 5)")
    ap.add_argument("--head-only", action="store_true", help="freeze fc1 too: train the new head alone")
    ap.add_argument("--epochs", type=int, default=100, help="epochs of both runs (default 100)")
    ap.add_argument("--lr", type=float, default=0.003, help="Adam learning rate of both runs (default 0.003)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the pretraining (default 0)")
    ap.add_argument("--backend", help="nnc backend (default: nnc's own choice)")
    args = ap.parse_args()
    w = lambda *p: os.path.join(args.work, *p)
    backend = ["--backend", args.backend] if args.backend else []
    os.makedirs(args.work, exist_ok=True)
    start = time.time()

    step("pretrain and export", [sys.executable, os.path.join(HERE, "pretrain.py"), "--out", w(),
                                 "--per-class", str(args.per_class), "--subsets", str(args.subsets),
                                 "--seed", str(args.seed)])
    step("import", [args.nnc, "import", w("backbone.onnx"), "-o", w("backbone.nn"),
                    "--params-out", w("params")])

    with open(w("backbone.nn")) as f:
        model, backbone = replace_head(f.read())
    frozen = backbone if args.head_only else [p for p in backbone if p.startswith(FROZEN)]
    settings = dict(lr=args.lr, epochs=args.epochs)
    with open(w("finetune.nn"), "w") as f:
        f.write(model + TRAIN.format(freeze="\n  freeze " + ", ".join(frozen), **settings))
    with open(w("scratch.nn"), "w") as f:
        f.write(with_initializers(model) + TRAIN.format(freeze="", **settings))

    test = ["--data", "x=" + w("test_x.npy"), "--data", "labels=" + w("test_y.npy")]
    tuned, scratch, changed = [], [], set()
    for s in range(args.subsets):
        show = s == 0  # the commands of the first training set; the others differ only in the files
        t0 = time.time()
        data = ["--data", "x=" + w(f"small{s}_x.npy"), "--data", "labels=" + w(f"small{s}_y.npy")]
        step("fine-tune", [args.nnc, "train", w("finetune.nn"), *data, "--params", w("params"),
                           "--save", w(f"tuned{s}"), *backend], show)
        tuned.append(accuracy(step("evaluate", [args.nnc, "eval", w("finetune.nn"), "--params", w(f"tuned{s}"),
                                                *test, *backend], show)))
        step("train from scratch", [args.nnc, "train", w("scratch.nn"), *data, "--save", w(f"scratch{s}"),
                                    *backend], show)
        scratch.append(accuracy(step("evaluate", [args.nnc, "eval", w("scratch.nn"), "--params",
                                                  w(f"scratch{s}"), *test, *backend], show)))
        changed |= set(changed_params(w("params"), w(f"tuned{s}"), frozen))
        if not show:
            print(f"training set {s}: the same 4 commands on small{s}_*.npy: {time.time() - t0:.1f}s", flush=True)

    trained = "the new head" if args.head_only else "fc1 and the new head"
    print(f"\ndigits 5-9, {len(np.load(w('test_y.npy')))} test images; {args.subsets} training sets of "
          f"{args.per_class} examples per digit; {args.epochs} epochs, Adam lr {args.lr:g}")
    print(f"  fine-tuned: imported {', '.join(frozen)} frozen, {trained} trained")
    print(f"  from scratch: the same network, every parameter from its initializer\n")
    print(f"  training set   fine-tuned   from scratch")
    for s, (a, b) in enumerate(zip(tuned, scratch)):
        print(f"  {s:<14} {a:<12.4f} {b:.4f}")
    print(f"  {'mean':<14} {np.mean(tuned):<12.4f} {np.mean(scratch):.4f}\n")
    print(f"  fine-tuning more accurate on {sum(a > b for a, b in zip(tuned, scratch))} of {args.subsets} "
          f"training sets, less on {sum(a < b for a, b in zip(tuned, scratch))}")
    print(f"  frozen parameters unchanged: {'no: ' + ', '.join(sorted(changed)) if changed else 'yes'} "
          f"({len(frozen)} compared after each fine-tuning)")
    print(f"  total {time.time() - start:.1f}s")
    if changed or np.mean(tuned) < MIN_ACCURACY:
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Batched matmul against the 2-D GEMM of the same shape and FLOPs.

Attention's two products at batch 16 with 4 heads of width 32,
`q @ k` ([16, 4, T, 32] @ [16, 4, 32, T]) and `p @ v` ([16, 4, T, T] @
[16, 4, T, 32]), each beside one 2-D product with the same m, n and k per
row and the same total FLOPs ([64 T, 32] @ [32, T] and [64 T, T] @ [T, 32]).
Both sides are one-op models timed by `nnc bench` (untimed warm-up calls,
then the median of --repeat calls); every operand is an input, so neither
side gets a weight packed ahead of time. Each round runs every pair, the
batched and the 2-D model back to back in alternating order, so that the
machine's drift between rounds touches both; the ratio of a round is the
2-D time over the batched time, and the table shows each round's ratio and
their median (issue 15 asks for at least 0.9 for T >= 32).

    bench/batched_matmul.py [--nnc build/bin/nnc] [--threads 1,2]
                            [--sizes 32,64,128] [--rounds 5] [--repeat 2000]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import machine  # noqa: E402

BATCH, HEADS, WIDTH = 16, 4, 32
TARGET = 0.9


def models(t):
    """{product: (batched source, 2-D source, the 2-D model's --batch)}."""
    matrices = BATCH * HEADS
    shapes = {
        "q @ k": (f"[B, {HEADS}, {t}, {WIDTH}]", f"[B, {HEADS}, {WIDTH}, {t}]",
                  f"[M, {WIDTH}]", f"[{WIDTH}, {t}]"),
        "p @ v": (f"[B, {HEADS}, {t}, {t}]", f"[B, {HEADS}, {t}, {WIDTH}]",
                  f"[M, {t}]", f"[{t}, {WIDTH}]"),
    }
    result = {}
    for product, (lhs, rhs, lhs2d, rhs2d) in shapes.items():
        name = product.replace(" @ ", "_")
        batched = (f"model {name}_{t}_batched\n\ninput a: f32{lhs}\n"
                   f"input b: f32{rhs}\n\noutput c = a @ b\n")
        plain = (f"model {name}_{t}_2d\n\ninput a: f32{lhs2d}\n"
                 f"input b: f32{rhs2d}\n\noutput c = a @ b\n")
        result[product] = (batched, plain, matrices * t)
    return result


def bench_ms(nnc, path, batch, threads, repeat):
    # One thread runs on the same CPU for both sides: this harness has seen
    # the two vCPUs of one guest differ by 5-45% in speed.
    pin = None
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        pin = lambda: os.sched_setaffinity(0, {cpu})  # noqa: E731
    out = subprocess.run(
        [nnc, "bench", path, "--backend", "cpu", "--batch", str(batch), "--json",
         "--threads", str(threads), "--warmup", str(repeat // 5),
         "--repeat", str(repeat)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=pin)
    if out.returncode != 0:
        sys.exit(f"nnc bench {path} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])["step_ms_median"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", default=os.path.join(os.path.dirname(HERE),
                                                      "build", "bin", "nnc"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--sizes", default="32,64,128", help="values of T")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--work-dir", help="where the models go (default: a temporary folder)")
    args = parser.parse_args()
    if args.rounds < 1 or args.repeat < 1:
        parser.error("--rounds and --repeat must be at least 1")
    threads = sorted({int(t) for t in args.threads.split(",")})
    sizes = [int(t) for t in args.sizes.split(",")]

    work = args.work_dir or tempfile.mkdtemp(prefix="nnc-bmm-")
    os.makedirs(work, exist_ok=True)
    pairs = []  # (t, product, batched path, 2-D path, 2-D batch)
    for t in sizes:
        for product, (batched, plain, rows) in models(t).items():
            paths = []
            for suffix, text in (("batched", batched), ("2d", plain)):
                path = os.path.join(work, f"{product.replace(' @ ', '_')}_{t}_{suffix}.nn")
                with open(path, "w") as f:
                    f.write(text)
                paths.append(path)
            pairs.append((t, product, paths[0], paths[1], rows))

    info = machine.machine_info()
    print(machine.describe_machine(info))
    print(f"batched matmul against the 2-D GEMM: B = {BATCH}, {HEADS} heads of width "
          f"{WIDTH}; nnc bench medians of {args.repeat} calls, {args.rounds} rounds\n")
    print("| product | T | threads | batched ms | 2-D ms | 2-D / batched per round | median | >= 0.9 |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    for n in threads:
        for t, product, batched, plain, rows in pairs:
            times = {"batched": [], "2d": []}
            for r in range(args.rounds):
                order = [("batched", batched, BATCH), ("2d", plain, rows)]
                for side, path, batch in order if r % 2 == 0 else reversed(order):
                    times[side].append(bench_ms(args.nnc, path, batch, n, args.repeat))
            ratios = [p / b for p, b in zip(times["2d"], times["batched"])]
            ratio = statistics.median(ratios)
            print(f"| `{product}` | {t} | {n} | {statistics.median(times['batched']):.4f} "
                  f"| {statistics.median(times['2d']):.4f} | "
                  f"{' '.join(f'{x:.2f}' for x in ratios)} | {ratio:.3f} | "
                  f"{'met' if ratio >= TARGET else 'not met'} |", flush=True)


if __name__ == "__main__":
    main()

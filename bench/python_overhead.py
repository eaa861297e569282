"""What calling nnc from Python costs: the batch-1 MLP of run_bench.py
(mlp_infer_b1) through `model.run`, beside `nnc bench`'s in-process figure
for the same graph and PyTorch eager from Python, in one run.

    /usr/bin/python3 bench/python_overhead.py --nnc build/bin/nnc \
        --module build/python [--rounds 5] [--threads 1]

Each figure is the median over rounds of a median per call (run_bench.py's
timing: untimed warm-up calls, then timed ones). The targets (docs/python.md):
model.run at most 5 us above nnc bench, and at least 2x faster than PyTorch
eager. PyTorch runs in a fresh process of peer.py with the environment
run_bench.py gives its peers (OPENBLAS_*, OMP_* left out), at 1 and at
--threads torch threads; the faster is kept.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "models", "mlp_784_512_256_10.nn")
WARMUP, REPEAT = 200, 2000

sys.path.insert(0, HERE)
import machine  # noqa: E402
import run_bench  # noqa: E402


def median_call(step):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def nnc_bench_us(nnc, threads):
    out = subprocess.run([nnc, "bench", MODEL, "--batch", "1", "--json",
                          "--threads", str(threads), "--warmup", str(WARMUP),
                          "--repeat", str(REPEAT)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["step_ms_median"] * 1e3


def torch_eager_us(threads):
    py, _, has_torch = run_bench.peer_python()
    if not has_torch:
        return None, "PyTorch not installed (make bench-deps)"
    env, _ = run_bench.peer_base_env()
    best = None
    for torch_threads in sorted({1, threads}):
        out = subprocess.run(
            [py, os.path.join(HERE, "peer.py"), "--torch-threads", str(torch_threads),
             "--warmup", str(WARMUP), "--repeat", str(REPEAT), "--max-seconds", "0",
             "mlp_infer_b1_eager"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        for line in out.stdout.splitlines():
            us = json.loads(line)["step_ms_median"] * 1e3
            if best is None or us < best[0]:
                best = (us, f"torch threads {torch_threads}")
    return best if best else (None, "peer.py failed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    build = os.path.join(os.path.dirname(HERE), "build")
    parser.add_argument("--nnc", default=os.path.join(build, "bin", "nnc"))
    parser.add_argument("--module", default=os.path.join(build, "python"),
                        help="folder holding nnc/ (default: build/python)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, args.module)
    import numpy as np
    import nnc

    model = nnc.compile(MODEL, backend="cpu", batch=1, threads=args.threads)
    x = np.random.default_rng(0).random((1, 784), dtype=np.float32)
    python_us, bench_us = [], []
    for _ in range(args.rounds):
        python_us.append(median_call(lambda: model.run(x=x)) * 1e6)
        bench_us.append(nnc_bench_us(args.nnc, args.threads))
    torch_us, torch_config = torch_eager_us(args.threads)

    info = machine.read_cpuinfo()
    print(f"\n## Python call overhead, mlp_infer_b1, {args.threads} thread(s), "
          f"median of {args.rounds} rounds")
    print(f"CPU: {info['model_name']} (family {info['family']}, model {info['model']})")
    py, bench = statistics.median(python_us), statistics.median(bench_us)
    print(f"- nnc bench (in process): {bench:.2f} us per call")
    print(f"- nnc model.run from Python: {py:.2f} us per call "
          f"({py - bench:+.2f} us; target at most +5)")
    if torch_us:
        print(f"- PyTorch eager from Python ({torch_config}): {torch_us:.2f} us per call; "
              f"nnc is {torch_us / py:.2f}x faster (target at least 2x)")
    else:
        print(f"- PyTorch eager: {torch_config}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side benchmark of nnc and its peers on the same machine and threads.

For each case it runs `nnc bench --json` on each backend and the peer in the
same run: numpy (OpenBLAS) for GEMM 256/512/1024, PyTorch for MLP training
b32/b128, LeNet training b64 and MLP batch-1 inference. Every measurement is a
fresh process timed the same way (warm-up, then the median of timed calls);
--rounds of them are interleaved and the table shows the median over rounds.
Peers run in their best configuration: OpenBLAS's AVX-512 kernels
(OPENBLAS_CORETYPE=SkylakeX where the CPU has AVX-512, since OpenBLAS 0.3.21
does not recognise Sapphire Rapids and falls back to SSE3 kernels), and for
PyTorch at 2+ threads each way of keeping its OpenMP and OpenBLAS pools from
spinning against each other; the best per case is kept and printed.

Python standard library only; the peers run in a child Python that has numpy
and torch (Debian's /usr/bin/python3 with python3-torch). A missing peer is
reported as "peer missing".

    bench/run_bench.py [--nnc build/bin/nnc] [--backends ref,cpu] [--threads 2]
                       [--rounds 3] [--json-out results.jsonl]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(HERE, "models")
FMA_PEAK_GFLOPS_PER_CORE = 168.0  # fp32 AVX-512 FMA, measured (shared/peers)

# name, model file, nnc bench flags, what the table reports
CASES = [
    ("gemm_256", "gemm_256.nn", ["--batch", "256"], "gflops"),
    ("gemm_512", "gemm_512.nn", ["--batch", "512"], "gflops"),
    ("gemm_1024", "gemm_1024.nn", ["--batch", "1024"], "gflops"),
    ("mlp_train_b32", "mlp_784_512_256_10.nn", ["--train", "--batch", "32"], "samples"),
    ("mlp_train_b128", "mlp_784_512_256_10.nn", ["--train", "--batch", "128"], "samples"),
    ("lenet_train_b64", "lenet5.nn", ["--train", "--batch", "64"], "samples"),
    ("mlp_infer_b1", "mlp_784_512_256_10.nn", ["--batch", "1"], "latency"),
]
# Repetitions per case: latency needs many calls, the rest few but long ones.
TIMING = {"latency": (200, 2000)}
DEFAULT_TIMING = (3, 30)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run_json(cmd, env=None):
    """Runs cmd; returns its JSON lines, or None with the error logged."""
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        log(f"  failed ({proc.returncode}): {' '.join(cmd)}\n  {proc.stderr.strip()[-500:]}")
        return None
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def nnc_backends(nnc):
    proc = subprocess.run([nnc, "backends"], stdout=subprocess.PIPE, text=True)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def peer_python():
    """(python, has_numpy, has_torch) for the first Python with the most peers."""
    best = (None, False, False)
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if not os.path.exists(py):
            continue
        has = [subprocess.run([py, "-c", f"import {m}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
               for m in ("numpy", "torch")]
        if sum(has) > best[1] + best[2]:
            best = (py, *has)
    return best


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read()
    except OSError:
        return False


def peer_configs(threads):
    """(label, library, env, torch threads) to try; the best per case is kept."""
    base = {}
    if "OPENBLAS_CORETYPE" not in os.environ and has_avx512():
        base["OPENBLAS_CORETYPE"] = "SkylakeX"
    n = str(threads)
    configs = [("openblas", "numpy", {**base, "OPENBLAS_NUM_THREADS": n}, 0)]
    if threads == 1:
        configs.append(("1t", "torch", {**base, "OMP_NUM_THREADS": "1",
                                        "OPENBLAS_NUM_THREADS": "1"}, 1))
        return configs
    # PyTorch 1.13 has two pools: OpenMP (set_num_threads, oneDNN convs) and
    # OpenBLAS's own (linear layers). Both at n threads spin against each
    # other; these are the usual ways around that.
    configs += [
        (f"{n}t_passive", "torch", {**base, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
                                    "OMP_WAIT_POLICY": "PASSIVE"}, threads),
        (f"{n}t_omp1", "torch", {**base, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": n}, 1),
        (f"{n}t_blas1", "torch", {**base, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": "1"},
         threads),
    ]
    return configs


def score(result, kind):
    """Higher is better: GFLOP/s, samples/s, or calls/s for latency."""
    if kind == "gflops":
        return result["gflops"]
    if kind == "latency":
        return 1e3 / result["step_ms_median"]
    return result["samples_per_s"]


def gemm_gflops(case, result):
    n = int(case[len("gemm_"):])
    return 2.0 * n**3 / (result["step_ms_median"] / 1e3) / 1e9


def median_result(results, kind):
    """The per-round result whose score is the median (lower middle)."""
    ordered = sorted(results, key=lambda r: score(r, kind))
    return ordered[(len(ordered) - 1) // 2]


def fmt(result, kind, threads):
    if result is None:
        return "-"
    if kind == "gflops":
        peak = FMA_PEAK_GFLOPS_PER_CORE * threads
        return f"{result['gflops']:.1f} GFLOP/s ({100 * result['gflops'] / peak:.0f}%)"
    if kind == "latency":
        return f"{result['step_ms_median'] * 1e3:.1f} us"
    return f"{result['samples_per_s']:.0f} samples/s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    parser.add_argument("--backends", help="comma-separated (default: cpu if "
                        "`nnc backends` lists it, else ref)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=2.0,
                        help="timed seconds per case and process")
    parser.add_argument("--cases", help="comma-separated subset of: " +
                        ", ".join(c[0] for c in CASES))
    parser.add_argument("--json-out", help="write every raw result here (JSON lines)")
    args = parser.parse_args()

    available = nnc_backends(args.nnc)
    if not available:
        sys.exit(f"run_bench.py: `{args.nnc} backends` lists no backend; build nnc first")
    backends = (args.backends.split(",") if args.backends
                else ["cpu" if "cpu" in available else "ref"])
    cases = [c for c in CASES if not args.cases or c[0] in args.cases.split(",")]
    py, has_numpy, has_torch = peer_python()
    configs = [c for c in peer_configs(args.threads)
               if (c[1] == "numpy" and has_numpy) or (c[1] == "torch" and has_torch)]
    log(f"nnc {args.nnc}, backends {', '.join(backends)}, {args.threads} threads, "
        f"{args.rounds} rounds; peers: python {py}, numpy "
        f"{'yes' if has_numpy else 'missing'}, torch {'yes' if has_torch else 'missing'}")

    nnc_runs, peer_runs, raw = {}, {}, []
    for rnd in range(args.rounds):
        log(f"round {rnd + 1}/{args.rounds}")
        for name, model, flags, kind in cases:
            warmup, repeat = TIMING.get(kind, DEFAULT_TIMING)
            for backend in backends:
                out = run_json([args.nnc, "bench", os.path.join(MODELS, model), *flags,
                                "--json", "--backend", backend, "--threads",
                                str(args.threads), "--warmup", str(warmup), "--repeat",
                                str(repeat), "--max-seconds", str(args.max_seconds)])
                if out:
                    result = out[0]
                    if kind == "gflops":
                        result["gflops"] = gemm_gflops(name, result)
                    nnc_runs.setdefault((name, backend), []).append(result)
                    raw.append({"round": rnd, "case": name, "impl": "nnc", **result})
        for label, library, env_extra, torch_threads in configs:
            names = [c[0] for c in cases if c[0].startswith("gemm_") == (library == "numpy")]
            if not names:
                continue
            kinds = {c[0]: c[3] for c in cases}
            for group in ([n for n in names if kinds[n] != "latency"],
                          [n for n in names if kinds[n] == "latency"]):
                if not group:
                    continue
                warmup, repeat = TIMING.get(kinds[group[0]], DEFAULT_TIMING)
                env = {**os.environ, **env_extra}
                out = run_json([py, os.path.join(HERE, "peer.py"), *group, "--torch-threads",
                                str(torch_threads), "--warmup", str(warmup), "--repeat",
                                str(repeat), "--max-seconds", str(args.max_seconds)], env)
                for result in out or []:
                    result["config"], result["env"] = label, env_extra
                    peer_runs.setdefault((result["case"], label), []).append(result)
                    raw.append({"round": rnd, "impl": "peer", **result})

    if args.json_out:
        with open(args.json_out, "w") as f:
            for line in raw:
                f.write(json.dumps(line) + "\n")

    t = args.threads
    print(f"\n## nnc vs peers, {t} thread{'s' if t > 1 else ''}, median of {args.rounds} "
          f"rounds\n")
    print("| case | nnc backend | nnc | peer | peer config | peer result | nnc / peer |")
    print("| --- | --- | ---: | --- | --- | ---: | ---: |")
    for name, _, _, kind in cases:
        peer_name = "OpenBLAS (numpy)" if name.startswith("gemm_") else "PyTorch"
        candidates = [(label, median_result(rs, kind)) for (case, label), rs
                      in peer_runs.items() if case == name]
        best = max(candidates, key=lambda c: score(c[1], kind)) if candidates else None
        for backend in backends:
            runs = nnc_runs.get((name, backend))
            mine = median_result(runs, kind) if runs else None
            if best is None:
                peer_cell, config, ratio = "peer missing", "-", "-"
            else:
                label, theirs = best
                variant = f" {theirs['variant']}" if theirs.get("variant") else ""
                peer_cell, config = fmt(theirs, kind, t), label + variant
                ratio = (f"{score(mine, kind) / score(theirs, kind):.2f}x"
                         if mine else "-")
            print(f"| {name} | {backend} | {fmt(mine, kind, t) if mine else 'failed'} | "
                  f"{peer_name} | {config} | {peer_cell} | {ratio} |")
    print("\nGEMM: % of the fp32 AVX-512 FMA peak (168 GFLOP/s per core x threads). "
          "Latency: median per call; nnc / peer > 1 means nnc is faster.")

    print("\n### nnc compile times (median over rounds)\n")
    print("| case | backend | compile s |")
    print("| --- | --- | ---: |")
    for name, _, _, kind in cases:
        for backend in backends:
            runs = nnc_runs.get((name, backend))
            if runs:
                compile_s = statistics.median(r["compile_s"] for r in runs)
                print(f"| {name} | {backend} | {compile_s:.3f} |")

    print("\n### Peer configurations tried (median of rounds per config)\n")
    print("| case | config | environment | result |")
    print("| --- | --- | --- | ---: |")
    for (name, label), rs in sorted(peer_runs.items()):
        kind = next(c[3] for c in cases if c[0] == name)
        r = median_result(rs, kind)
        env = " ".join(f"{k}={v}" for k, v in sorted(r["env"].items()))
        blas = r.get("openblas") or {}
        extra = f", OpenBLAS {blas.get('core')} x{blas.get('threads')}" if blas else ""
        torch_t = f", torch threads {r['torch_threads']}" if "torch_threads" in r else ""
        variant = f" ({r['variant']})" if r.get("variant") else ""
        print(f"| {name} | {label}{variant} | {env}{extra}{torch_t} | {fmt(r, kind, t)} |")
    if not has_numpy:
        print("\nnumpy (OpenBLAS) peer missing: run scripts/install-bench-deps.sh")
    if not has_torch:
        print("\nPyTorch peer missing: run scripts/install-bench-deps.sh")


if __name__ == "__main__":
    main()

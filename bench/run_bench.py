#!/usr/bin/python3
"""Side-by-side benchmark of nnc and its peers on the same machine and threads.

For each case it runs `nnc bench --json` on each backend and the peer in the
same run: numpy (OpenBLAS) for GEMM 256/512/1024, PyTorch for MLP training
b32/b128, LeNet training b64, MLP batch-1 inference, and training and
generation (tokens/s) of the byte-level transformer examples/tiny_gpt.nn.
Every measurement is a fresh process timed the same way (warm-up, then the
median of timed calls); --rounds of them are interleaved and the table shows
the median over rounds, and, for the cases that have a target, whether
nnc / peer met it.

Nothing is assumed about the machine (docs/performance.md, "The harness"):
- the fp32 FMA peak behind "% of peak" is measured first (nnc-fma-peak);
- the CPU's identity and cache sizes head the table and go into every JSON
  line;
- the peers get none of the OPENBLAS_*, GOTO_* or OMP_* variables of the
  calling environment (a stale OPENBLAS_CORETYPE=Haswell or OPENBLAS_L2_SIZE
  would quietly slow them down); every OpenBLAS core type the CPU can run is
  timed on GEMM 512 and the fastest one that OpenBLAS really loads is used
  for numpy and PyTorch alike;
- PyTorch at 2+ threads tries each way of keeping its OpenMP and OpenBLAS
  pools from spinning against each other; the best per case is kept.

Python standard library only; the peers run in a child Python that has numpy
and torch (Debian's /usr/bin/python3 with python3-torch). A missing peer is
reported as "peer missing".

    bench/run_bench.py [--nnc build/bin/nnc] [--backends ref,cpu] [--threads 2]
                       [--rounds 3] [--cases gemm_512,...] [--json-out results.jsonl]
                       [--work-dir DIR]
"""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys

import machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(HERE, "models")

# Multiply-adds of one MLP 784-512-256-10 sample: the forward, the weight
# gradients, and the input gradients of every layer but the first (nothing
# needs the gradient of the data). Two flops each: 2.41 MFLOP per sample.
_MLP_LAYERS = [(784, 512), (512, 256), (256, 10)]
_MLP_MACS = sum(i * o for i, o in _MLP_LAYERS)
MLP_TRAIN_FLOPS_PER_SAMPLE = 2 * (2 * _MLP_MACS + sum(i * o for i, o in _MLP_LAYERS[1:]))

# kind is what the table reports: GFLOP/s, samples/s, latency per call or
# tokens/s (one token per call). flops_per_sample, where known, also turns
# samples/s into % of peak. target, where set, is the least nnc / peer that
# counts as met; min_peak_share (% of the measured FMA peak) and
# max_latency_us are further bounds nnc's own figure must meet.
Case = collections.namedtuple(
    "Case", "name model flags kind flops_per_sample target min_peak_share max_latency_us",
    defaults=(None, None, None))
# Not under bench/models: the benchmark is of the example users run. An
# absolute path survives run_nnc's join with MODELS.
GPT_MODEL = os.path.join(ROOT, "examples", "tiny_gpt.nn")
# The targets are the issues': the cpu backend's speed on every CPU (GEMM,
# MLP, LeNet) and transformers (gpt_*).
CASES = [
    Case("gemm_256", "gemm_256.nn", ["--batch", "256"], "gflops", 2 * 256 * 256, target=1.0),
    Case("gemm_512", "gemm_512.nn", ["--batch", "512"], "gflops", 2 * 512 * 512, target=1.0),
    Case("gemm_1024", "gemm_1024.nn", ["--batch", "1024"], "gflops", 2 * 1024 * 1024,
         target=1.0),
    Case("mlp_train_b32", "mlp_784_512_256_10.nn", ["--train", "--batch", "32"], "samples",
         MLP_TRAIN_FLOPS_PER_SAMPLE, target=1.8),
    Case("mlp_train_b128", "mlp_784_512_256_10.nn", ["--train", "--batch", "128"], "samples",
         MLP_TRAIN_FLOPS_PER_SAMPLE, target=1.4, min_peak_share=75),
    Case("lenet_train_b64", "lenet5.nn", ["--train", "--batch", "64"], "samples", None,
         target=2.5),
    Case("mlp_infer_b1", "mlp_784_512_256_10.nn", ["--batch", "1"], "latency", None,
         target=3.0, max_latency_us=10),
    # One sample is one 64-byte window; batch 16 as the model's train block,
    # given explicitly because peer.py builds its batch of 16 regardless.
    Case("gpt_train", GPT_MODEL, ["--train", "--batch", "16"], "samples", None, target=1.5),
    # `nnc generate` keeps no KV cache: each token is a batch-1 forward over a
    # full window.
    Case("gpt_generate", GPT_MODEL, ["--batch", "1"], "tokens", None, target=2.0),
]
# Repetitions per case: latency needs many calls, tokens (a few milliseconds
# each) fewer, the rest few but long ones; --max-seconds caps them all.
TIMING = {"latency": (200, 2000), "tokens": (20, 500)}
DEFAULT_TIMING = (3, 30)
# The met cell where the peers ran without OpenBLAS and the ratio says nothing.
NO_VERDICT = "no verdict"

# OpenBLAS core types worth trying on x86, each with the CPU flags its kernels
# need (as OpenBLAS's own dynamic dispatch checks them: SapphireRapids only
# with AMX-BF16, Cooperlake only with AVX512-BF16). "Zen" are the Haswell
# AVX2 kernels with AMD's blocking; OpenBLAS has no AVX-512 Zen kernels.
OPENBLAS_CORE_TYPES = [
    ("SapphireRapids", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16",
                        "amx_bf16"}),
    ("Cooperlake", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"}),
    ("SkylakeX", {"avx512f", "avx512cd", "avx512bw", "avx512vl", "avx512dq"}),
    ("Zen", {"avx2", "fma"}),
    ("Haswell", {"avx2", "fma"}),
]
AUTO_CORE = "auto"  # OPENBLAS_CORETYPE unset: OpenBLAS's own detection
# Environment the peers must not inherit: the harness sets what they need.
PEER_ENV_PREFIXES = ("OPENBLAS_", "GOTO_", "OMP_")
SWEEP_PASSES = 2  # each core type timed twice, interleaved; the best kept


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
    try:
        proc = subprocess.run([nnc, "backends"], stdout=subprocess.PIPE, text=True)
    except OSError:
        return []
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def peer_python():
    """(python, has_numpy, has_torch) for the first Python with the most peers.

    Debian's /usr/bin/python3 comes first: it is the one install-bench-deps.sh
    equips, while `python3` on PATH may be a pyenv build without numpy."""
    best = (None, False, False)
    for py in dict.fromkeys(["/usr/bin/python3", sys.executable]):
        if not os.path.exists(py):
            continue
        has = [subprocess.run([py, "-c", f"import {m}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
               for m in ("numpy", "torch")]
        if sum(has) > best[1] + best[2]:
            best = (py, *has)
    return best


def peer_base_env():
    """(environment for the peers, the inherited variables left out of it)."""
    env, dropped = {}, {}
    for key, value in os.environ.items():
        (dropped if key.startswith(PEER_ENV_PREFIXES) else env)[key] = value
    return env, dropped


def same_core(requested, reported):
    """Whether OpenBLAS's reported core name is the requested one."""
    norm = lambda name: re.sub(r"[^a-z0-9]", "", (name or "").lower())
    return norm(requested) == norm(reported)


def sweep_core_types(py, threads, flags, base_env, max_seconds):
    """Times GEMM 512 under each OpenBLAS core type the CPU can run.

    Returns (winner, trials): winner is the fastest trial whose core OpenBLAS
    really loaded (None if none ran), trials one dict per candidate with its
    best GFLOP/s, the core OpenBLAS reported and a status: 'ok', 'fallback'
    (this OpenBLAS does not know the name and chose another core itself; never
    the winner, so a silent fallback cannot pass for the named core),
    'skipped' (the CPU lacks the ISA) or 'failed'."""
    trials = {}
    for name, needs in OPENBLAS_CORE_TYPES:
        missing = sorted(needs - flags)
        trials[name] = {"core_type": name, "status": "skipped" if missing else "failed",
                        "gflops": None, "core": None,
                        "note": f"CPU lacks {', '.join(missing)}" if missing else ""}
    trials[AUTO_CORE] = {"core_type": AUTO_CORE, "status": "failed", "gflops": None,
                         "core": None, "note": "OPENBLAS_CORETYPE unset"}
    runnable = [t for t in trials.values() if t["status"] != "skipped"]
    for _ in range(SWEEP_PASSES):
        for trial in runnable:
            env = {**base_env, "OPENBLAS_NUM_THREADS": str(threads)}
            if trial["core_type"] != AUTO_CORE:
                env["OPENBLAS_CORETYPE"] = trial["core_type"]
            out = run_json([py, os.path.join(HERE, "peer.py"), "gemm_512", "--warmup", "3",
                            "--repeat", "30", "--max-seconds", str(max_seconds)], env)
            if not out:
                continue
            result = out[0]
            core = (result.get("openblas") or {}).get("core")
            trial["core"] = core
            if core is None:
                trial["note"] = "numpy's BLAS is not OpenBLAS"
                continue
            if trial["core_type"] == AUTO_CORE or same_core(trial["core_type"], core):
                trial["status"] = "ok"
            else:
                trial["status"] = "fallback"
                trial["note"] = "a name this OpenBLAS does not know: never used"
            trial["gflops"] = max(trial["gflops"] or 0, result["gflops"])
    ok = [t for t in trials.values() if t["status"] == "ok"]
    winner = max(ok, key=lambda t: t["gflops"]) if ok else None
    return winner, list(trials.values())


def core_env(winner):
    """The OPENBLAS_CORETYPE setting of the winning core type, if any."""
    if winner is None or winner["core_type"] == AUTO_CORE:
        return {}
    return {"OPENBLAS_CORETYPE": winner["core_type"]}


def peer_configs(threads, core):
    """(label, library, env, torch threads) to try; the best per case is kept."""
    n = str(threads)
    configs = [("openblas", "numpy", {**core, "OPENBLAS_NUM_THREADS": n}, 0)]
    if threads == 1:
        configs.append(("1t", "torch", {**core, "OMP_NUM_THREADS": "1",
                                        "OPENBLAS_NUM_THREADS": "1"}, 1))
        return configs
    # PyTorch 1.13 has two pools: OpenMP (set_num_threads, oneDNN convs) and
    # OpenBLAS's own (linear layers). Both at n threads spin against each
    # other; these are the usual ways around that.
    configs += [
        (f"{n}t_passive", "torch", {**core, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
                                    "OMP_WAIT_POLICY": "PASSIVE"}, threads),
        (f"{n}t_omp1", "torch", {**core, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": n}, 1),
        (f"{n}t_blas1", "torch", {**core, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": "1"},
         threads),
    ]
    return configs


def score(result, kind):
    """Higher is better: GFLOP/s, samples/s, or calls/s for latency and tokens."""
    if kind == "gflops":
        return result["gflops"]
    if kind in ("latency", "tokens"):
        return 1e3 / result["step_ms_median"]
    return result["samples_per_s"]


def median_result(results, kind):
    """The per-round result whose score is the median (lower middle)."""
    ordered = sorted(results, key=lambda r: score(r, kind))
    return ordered[(len(ordered) - 1) // 2]


def peak_at(peak, threads):
    """Measured GFLOP/s peak at the bench's thread count, or None."""
    if peak is None:
        return None
    return peak["gflops_1t"] if threads == 1 else peak["gflops_nt"]


def fmt(result, case, peak):
    """A result cell: the case's measure, with GFLOP/s and % of `peak` GFLOP/s
    where the case's flops are known."""
    if result is None:
        return "-"
    if case.kind == "latency":
        return f"{result['step_ms_median'] * 1e3:.1f} µs"
    if case.kind == "tokens":
        return f"{score(result, case.kind):.0f} tokens/s"
    if not case.flops_per_sample:
        return f"{result['samples_per_s']:.0f} samples/s"
    gflops = result["samples_per_s"] * case.flops_per_sample / 1e9
    share = f"{100 * gflops / peak:.0f}%" if peak else ""
    if case.kind == "gflops":
        return f"{gflops:.1f} GFLOP/s" + (f" ({share})" if share else "")
    share = f", {share}" if share else ""
    return f"{result['samples_per_s']:.0f} samples/s ({gflops:.1f} GFLOP/s{share})"


def run_nnc(args, case, backend):
    """One `nnc bench --json` process; its result or None."""
    warmup, repeat = TIMING.get(case.kind, DEFAULT_TIMING)
    out = run_json([args.nnc, "bench", os.path.join(MODELS, case.model), *case.flags,
                    "--json", "--backend", backend, "--threads", str(args.threads),
                    "--warmup", str(warmup), "--repeat", str(repeat),
                    "--max-seconds", str(args.max_seconds)])
    if not out:
        return None
    result = out[0]
    if case.kind == "gflops":
        result["gflops"] = result["samples_per_s"] * case.flops_per_sample / 1e9
    return result


def run_peer(args, py, base_env, cases, config):
    """One peer process per group of cases of `config`; its results, labelled."""
    label, library, env_extra, torch_threads = config
    names = [c.name for c in cases if c.name.startswith("gemm_") == (library == "numpy")]
    timing = {c.name: TIMING.get(c.kind, DEFAULT_TIMING) for c in cases}
    results = []
    # One process per repetition count: latency and token cases need many
    # more, much shorter calls than the rest.
    for warmup, repeat in dict.fromkeys(timing[n] for n in names):
        group = [n for n in names if timing[n] == (warmup, repeat)]
        out = run_json([py, os.path.join(HERE, "peer.py"), *group, "--torch-threads",
                        str(torch_threads), "--warmup", str(warmup), "--repeat",
                        str(repeat), "--max-seconds", str(args.max_seconds)],
                       {**base_env, **env_extra})
        for result in out or []:
            result["config"], result["env"] = label, env_extra
            results.append(result)
    return results


def best_peer(peer_runs, case):
    """(config label, median result) of the fastest peer config for case, or None."""
    candidates = [(label, median_result(rs, case.kind)) for (name, label), rs
                  in peer_runs.items() if name == case.name]
    return max(candidates, key=lambda c: score(c[1], case.kind)) if candidates else None


def describe_target(case, ratio, mine, peak, peers_on_openblas):
    """(target, met) cells for nnc's result `mine` at `ratio` to the peer and
    `peak` GFLOP/s: '-' where the case has no target, and for met where a
    figure it needs is missing. Peers on a BLAS other than OpenBLAS (Debian's
    reference BLAS, when libopenblas0-pthread is missing) are 10-50x slow, so
    no ratio against them is judged."""
    if case.target is None:
        return "-", "-"
    parts, met = [f">= {case.target:g}x"], [None if ratio is None else ratio >= case.target]
    if case.min_peak_share is not None:
        parts.append(f">= {case.min_peak_share:g}% of peak")
        met.append(None if not (mine and peak) else
                   100 * mine["samples_per_s"] * case.flops_per_sample / 1e9 / peak
                   >= case.min_peak_share)
    if case.max_latency_us is not None:
        parts.append(f"<= {case.max_latency_us:g} µs")
        met.append(None if not mine else
                   mine["step_ms_median"] * 1e3 <= case.max_latency_us)
    if not peers_on_openblas:
        return ", ".join(parts), NO_VERDICT
    if None in met:
        return ", ".join(parts), "-"
    return ", ".join(parts), "yes" if all(met) else "no"


def describe_sweep(winner, trials):
    """One line per core type tried, for the header and the log."""
    lines = []
    for t in trials:
        speed = f", {t['gflops']:.1f} GFLOP/s" if t["gflops"] else ""
        reported = f", OpenBLAS reports {t['core']}" if t["core"] else ""
        note = f" ({t['note']})" if t["note"] else ""
        mark = " <- used" if t is winner else ""
        lines.append(f"  - {t['core_type']}: {t['status']}{speed}{reported}{note}{mark}")
    return lines


def print_header(info, peak, threads, rounds, winner, trials, dropped, has_numpy):
    print(f"\n## nnc vs peers, {threads} thread{'s' if threads > 1 else ''}, median of "
          f"{rounds} round{'s' if rounds > 1 else ''}\n")
    print(f"- CPU: {machine.describe_machine(info)}")
    print(f"- {machine.describe_peak(peak)}")
    print(f"- {machine.describe_core_speeds(info.get('core_speeds_ms'))}")
    print(f"- {machine.describe_core_link(info.get('core_link'), info.get('core_link_after'))}")
    dropped_text = " ".join(f"{k}={v}" for k, v in sorted(dropped.items())) or "none"
    print(f"- Peers' environment: OPENBLAS_*, GOTO_*, OMP_* of the caller removed "
          f"(were: {dropped_text})")
    if winner:
        print(f"- OpenBLAS core type for numpy and PyTorch: {winner['core_type']} "
              f"(OpenBLAS reports {winner['core']}), the fastest at GEMM 512 on "
              f"{threads} thread{'s' if threads > 1 else ''} of:")
    elif has_numpy:
        print("- OpenBLAS core type: none of the candidates ran, so the peers are not on "
              "OpenBLAS and no target is judged (scripts/install-bench-deps.sh installs "
              "libopenblas0-pthread):")
    for line in describe_sweep(winner, trials):
        print(line)
    print()


def print_main_table(cases, backends, nnc_runs, peer_runs, peak, peers_on_openblas):
    print("| case | nnc backend | nnc | peer | peer config | peer result | nnc / peer "
          "| target | met |")
    print("| --- | --- | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for case in cases:
        peer_name = "OpenBLAS (numpy)" if case.name.startswith("gemm_") else "PyTorch"
        best = best_peer(peer_runs, case)
        for backend in backends:
            runs = nnc_runs.get((case.name, backend))
            mine = median_result(runs, case.kind) if runs else None
            ratio = None
            if best is None:
                peer_cell, config = "peer missing", "-"
            else:
                label, theirs = best
                variant = f" {theirs['variant']}" if theirs.get("variant") else ""
                peer_cell, config = fmt(theirs, case, peak), label + variant
                if mine:
                    ratio = score(mine, case.kind) / score(theirs, case.kind)
            target, met = describe_target(case, ratio, mine, peak, peers_on_openblas)
            print(f"| {case.name} | {backend} | {fmt(mine, case, peak) if mine else 'failed'} | "
                  f"{peer_name} | {config} | {peer_cell} | "
                  f"{'-' if ratio is None else f'{ratio:.2f}x'} | {target} | {met} |")
    print("\nGEMM and MLP training: GFLOP/s (MLP: 2.41 MFLOP per sample, forward and "
          "backward) and % of the FMA peak measured above at this thread count. "
          "Latency: median per call. gpt_train: 64-byte windows per second at batch 16; "
          "gpt_generate: tokens per second, one batch-1 forward over a full window each. "
          "nnc / peer > 1 means nnc is faster.")


def print_summary(info, peak, threads, winner, cases, backends, nnc_runs, peer_runs):
    """The figures the issue asks for, one line each, for this machine."""
    print("\n### Summary for this machine\n")
    print(f"- CPU: {info['model_name']} ({info['vendor']} family {info['family']} model "
          f"{info['model']})")
    print(f"- {machine.describe_peak(peak)}; the % below are of the {threads}-thread peak")
    print(f"- {machine.describe_core_speeds(info.get('core_speeds_ms'))}")
    print(f"- {machine.describe_core_link(info.get('core_link'), info.get('core_link_after'))}")
    if winner:
        print(f"- OpenBLAS (numpy and PyTorch): core type {winner['core_type']}, "
              f"reported {winner['core']}")
    for case in cases:
        best = best_peer(peer_runs, case)
        for backend in backends:
            runs = nnc_runs.get((case.name, backend))
            if not runs:
                continue
            mine = median_result(runs, case.kind)
            line = f"- {case.name} ({backend}): {fmt(mine, case, peak_at(peak, threads))}"
            if best:
                label, theirs = best
                variant = f" {theirs['variant']}" if theirs.get("variant") else ""
                ratio = score(mine, case.kind) / score(theirs, case.kind)
                peer = "OpenBLAS" if case.name.startswith("gemm_") else "PyTorch"
                line += (f"; {peer} {fmt(theirs, case, peak_at(peak, threads))} "
                         f"({label}{variant}): {ratio:.2f}x")
                if case.target is not None:
                    target, met = describe_target(case, ratio, mine,
                                                  peak_at(peak, threads), winner is not None)
                    verdict = {"yes": "met", NO_VERDICT: NO_VERDICT}.get(met, "not met")
                    line += f" (target {target}: {verdict})"
            print(line)


def print_compile_times(cases, backends, nnc_runs):
    print("\n### nnc compile times (median over rounds)\n")
    print("| case | backend | compile s |")
    print("| --- | --- | ---: |")
    for case in cases:
        for backend in backends:
            runs = nnc_runs.get((case.name, backend))
            if runs:
                compile_s = statistics.median(r["compile_s"] for r in runs)
                print(f"| {case.name} | {backend} | {compile_s:.3f} |")


def print_peer_configs(cases, peer_runs, peak):
    print("\n### Peer configurations tried (median of rounds per config)\n")
    print("| case | config | environment | result |")
    print("| --- | --- | --- | ---: |")
    by_name = {c.name: c for c in cases}
    for (name, label), rs in sorted(peer_runs.items()):
        case = by_name[name]
        r = median_result(rs, case.kind)
        env = " ".join(f"{k}={v}" for k, v in sorted(r["env"].items()))
        blas = r.get("openblas") or {}
        extra = f", OpenBLAS {blas.get('core')} x{blas.get('threads')}" if blas else ""
        torch_t = f", torch threads {r['torch_threads']}" if "torch_threads" in r else ""
        variant = f" ({r['variant']})" if r.get("variant") else ""
        print(f"| {name} | {label}{variant} | {env}{extra}{torch_t} | {fmt(r, case, peak)} |")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    parser.add_argument("--backends", help="comma-separated (default: cpu if "
                        "`nnc backends` lists it, else ref)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=2.0,
                        help="timed seconds per case and process")
    parser.add_argument("--cases", help="comma-separated subset of: " +
                        ", ".join(c.name for c in CASES))
    parser.add_argument("--json-out", help="write every raw result here (JSON lines)")
    parser.add_argument("--work-dir", help="where the FMA peak probe is built (default: "
                        "the folder of --json-out, else build/bench)")
    args = parser.parse_args()
    known = {c.name for c in CASES}
    unknown = set(args.cases.split(",")) - known if args.cases else set()
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: "
                     f"{', '.join(c.name for c in CASES)}")
    if not args.work_dir:
        args.work_dir = (os.path.dirname(os.path.abspath(args.json_out)) if args.json_out
                         else os.path.join(ROOT, "build", "bench"))
    if args.json_out:
        # Made now: a folder found missing after the rounds would lose them.
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
    return args


def main():
    args = parse_args()
    available = nnc_backends(args.nnc)
    if not available:
        sys.exit(f"run_bench.py: `{args.nnc} backends` lists no backend; build nnc first")
    backends = (args.backends.split(",") if args.backends
                else ["cpu" if "cpu" in available else "ref"])
    cases = [c for c in CASES if not args.cases or c.name in args.cases.split(",")]

    info = machine.machine_info()
    log(f"machine: {machine.describe_machine(info)}")
    peak = machine.measure_fma_peak(args.nnc, args.threads, info["flags"])
    log(machine.describe_peak(peak))
    info["core_speeds_ms"] = machine.measure_core_speeds(args.nnc)
    log(machine.describe_core_speeds(info["core_speeds_ms"]))
    if args.threads > 1:
        info["core_link"] = machine.measure_core_link(args.nnc)
        log(machine.describe_core_link(info["core_link"]))
    pct_peak = peak_at(peak, args.threads)

    py, has_numpy, has_torch = peer_python()
    base_env, dropped = peer_base_env()
    winner, trials = None, []
    if has_numpy:
        log(f"OpenBLAS core types (GEMM 512, {args.threads} threads, best of "
            f"{SWEEP_PASSES}):")
        winner, trials = sweep_core_types(py, args.threads, info["flags"], base_env,
                                          min(args.max_seconds, 0.5))
        for line in describe_sweep(winner, trials):
            log(line)
    configs = [c for c in peer_configs(args.threads, core_env(winner))
               if (c[1] == "numpy" and has_numpy) or (c[1] == "torch" and has_torch)]
    log(f"nnc {args.nnc}, backends {', '.join(backends)}, {args.threads} threads, "
        f"{args.rounds} rounds; peers: python {py}, numpy "
        f"{'yes' if has_numpy else 'missing'}, torch {'yes' if has_torch else 'missing'}")

    context = {"machine": machine.machine_json(info), "fma_peak": peak,
               "openblas_coretype": winner["core_type"] if winner else None}
    raw = [{"impl": "openblas_core_sweep", **t, **context} for t in trials]
    nnc_runs, peer_runs = {}, {}
    for rnd in range(args.rounds):
        log(f"round {rnd + 1}/{args.rounds}")
        for case in cases:
            for backend in backends:
                result = run_nnc(args, case, backend)
                if result:
                    nnc_runs.setdefault((case.name, backend), []).append(result)
                    raw.append({"round": rnd, "case": case.name, "impl": "nnc", **result,
                                **context})
        for config in configs:
            for result in run_peer(args, py, base_env, cases, config):
                peer_runs.setdefault((result["case"], result["config"]), []).append(result)
                raw.append({"round": rnd, "impl": "peer", **result, **context})

    if info.get("core_link"):
        info["core_link_after"] = machine.measure_core_link(args.nnc)
        # The raw lines were made during the runs: both readings go in now.
        for line in raw:
            line["core_link"] = [info["core_link"], info["core_link_after"]]

    if args.json_out:
        with open(args.json_out, "w") as f:
            for line in raw:
                f.write(json.dumps(line) + "\n")

    print_header(info, peak, args.threads, args.rounds, winner, trials, dropped, has_numpy)
    print_main_table(cases, backends, nnc_runs, peer_runs, pct_peak, winner is not None)
    print_summary(info, peak, args.threads, winner, cases, backends, nnc_runs, peer_runs)
    print_compile_times(cases, backends, nnc_runs)
    print_peer_configs(cases, peer_runs, pct_peak)
    if not has_numpy:
        print("\nnumpy (OpenBLAS) peer missing: run scripts/install-bench-deps.sh")
    if not has_torch:
        print("\nPyTorch peer missing: run scripts/install-bench-deps.sh")


if __name__ == "__main__":
    main()

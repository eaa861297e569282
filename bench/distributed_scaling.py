#!/usr/bin/python3
"""Data-parallel training speed of `nnc train --distributed` on one machine.

    /usr/bin/python3 bench/distributed_scaling.py --nnc build/bin/nnc [--rounds 5]
        [--cases mlp,lenet,digits_b32] [--configs 1x1,2x1,1x2,1x1d]
        [--quiet-wait S] [--no-cost-model] [--json-out FILE] [--work-dir DIR]
        [--replay FILE]

Each case is a model at a global batch, trained by `nnc train` on generated
data (the digits cases on the bundled digits, repeated). Each configuration
is RANKSxTHREADS:

  1x1   one process, --threads 1                              (a)
  2x1   mpirun -np 2 nnc train ... --distributed --threads 1  (b)
  1x2   one process, --threads 2                              (c)
  1x1d  mpirun -np 1 ... --distributed --threads 1: the split step and its
        bucketing with nothing to exchange
  3x1   mpirun -np 3 (name it in --configs; on a 2-core machine it runs
        oversubscribed)

Speed: the samples of epochs 2..E over their time, read from the epoch
lines rank 0 prints ("epoch 3/7 done 25600 samples in 0.47s ... 5.4e4
samples/s"): each epoch's time is where its printed duration and its
printed rate agree, within their rounding, which the data sizes keep to
about 1% an epoch. Start-up, compile and the first epoch's warm-up are left
out. (The time the lines reach this script is not used: mpirun forwards
them, late when the machine is loaded.) Configurations are interleaved
within each of --rounds rounds; tables show medians over rounds.

Before each run the script counts the other programs' running tasks
("busy", averaged over half a second) and, with --quiet-wait S, waits up
to S seconds for the machine to be idle. On a shared machine, trust ratios
measured while it was idle: a loaded machine favours separate processes
over threads that wait for each other. Where Linux shares the CPU between
sessions (autogroup, /proc/sys/kernel/sched_autogroup_enabled), `nice` on
processes does not lift them above other sessions; the session's own
niceness does: setsid sh -c 'echo -20 > /proc/self/autogroup; exec
/usr/bin/python3 bench/distributed_scaling.py ...'.

Targets (the issue that added --distributed): (b)/(a) >= 1.8 and (b)
within 10% of (c).

The cost model of docs/distributed.md is checked here too (unless
--no-cost-model): bench/allreduce_probe.c (built with mpicc) times a f32
all-reduce of 32 B to 16 MB on 2 ranks (and 3 when 3x1 is run) as nnc
runs it (the ring, polled as nnc polls), with the binomial tree without
pause, and with the ring without pause, giving this
machine's latency and bandwidth; one-rank --distributed runs at the shard
sizes B/N time the per-rank compute; the model's step time at N = 2 (and
3) is set beside the measured one, and its scaling efficiency is predicted
for N = 2, 8, 32, 128 over 10 and 100 Gbit/s links, with the binomial tree
that Open MPI takes for an in-place all-reduce by default (nnc's choice
beyond 8 ranks) and with the ring (nnc's up to 8).
--replay FILE prints the tables again from an earlier --json-out.

Python standard library only; needs Open MPI's mpirun (and mpicc for the
cost model).
"""
import argparse
import array
import collections
import json
import math
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBE_SOURCE = os.path.join(HERE, "allreduce_probe.c")

# model, global batch, data input and its sample shape, steps per epoch,
# and whether the samples are the bundled digits (else generated).
Case = collections.namedtuple("Case", "name model batch input shape steps digits")
CASES = {c.name: c for c in [
    Case("mlp", "bench/models/mlp_784_512_256_10.nn", 256, "x", [784], 100, False),
    Case("lenet", "bench/models/lenet5.nn", 128, "images", [1, 28, 28], 80, False),
    Case("lenet_padded", "examples/lenet.nn", 128, "images", [1, 28, 28], 40, False),
    Case("digits_b32", "examples/mlp_digits.nn", 32, "x", [64], 2000, True),
    Case("digits_b256", "examples/mlp_digits.nn", 256, "x", [64], 400, True),
]}
DEFAULT_CASES = "mlp,lenet,digits_b32"
DEFAULT_CONFIGS = "1x1,2x1,1x2,1x1d"
EPOCHS = 7            # the first is not timed
SHARD_EPOCHS = 5      # cost model: one-rank runs at the shard sizes b,
                      # with min(8, B/b) times the case's steps per epoch
MODEL_RANKS = [2, 8, 32, 128]
# Links of the prediction: name, bandwidth in bytes/s, latency per message.
LINKS = [("10 Gbit/s", 1.25e9, 20e-6), ("100 Gbit/s", 12.5e9, 5e-6)]
LOSS_SUMS_BYTES = 32  # the 4 doubles of loss and accuracy sums, every step

EPOCH_DONE = re.compile(r"epoch (\d+)/(\d+) done (\d+) samples in (\S+) .* (\S+) samples/s$")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- data -----------------------------------------------------------------

def write_npy(path, typecode, shape, payload):
    """A C-order .npy of little-endian f32 ('f') or i32 ('i') values."""
    descr = {"f": "<f4", "i": "<i4"}[typecode]
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little"))
        f.write(header.encode("latin1"))
        f.write(payload)
    os.replace(tmp, path)


def read_npy_payload(path):
    """(shape, raw bytes) of a version-1 .npy file."""
    with open(path, "rb") as f:
        data = f.read()
    length = int.from_bytes(data[8:10], "little")
    header = data[10:10 + length].decode("latin1")
    shape = [int(d) for d in re.search(r"\(([^)]*)\)", header).group(1).split(",")
             if d.strip()]
    return shape, data[10 + length:]


def repeat_to(block, total):
    """`block` repeated and cut to `total` bytes."""
    return (block * (total // len(block) + 1))[:total]


def case_data(case, samples, work_dir):
    """--data flags of `samples` samples for `case`, written once."""
    folder = os.path.join(work_dir, "data")
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, f"{'digits' if case.digits else case.name}-{samples}")
    x_path, y_path = stem + "-x.npy", stem + "-y.npy"
    if not (os.path.exists(x_path) and os.path.exists(y_path)):
        row = 1
        for d in case.shape:
            row *= d
        if case.digits:
            _, x_block = read_npy_payload(os.path.join(ROOT, "examples/data/digits_train_x.npy"))
            _, y_block = read_npy_payload(os.path.join(ROOT, "examples/data/digits_train_y.npy"))
        else:
            # A block of 1024 uniform samples and labels, repeated: the values
            # do not change the speed, only their count does.
            rng = random.Random(0)
            x_block = array.array("f", (rng.random() for _ in range(1024 * row))).tobytes()
            y_block = array.array("i", (rng.randrange(10) for _ in range(1024))).tobytes()
        write_npy(x_path, "f", [samples] + case.shape, repeat_to(x_block, samples * row * 4))
        write_npy(y_path, "i", [samples], repeat_to(y_block, samples * 4))
    return ["--data", f"{case.input}={x_path}", "--data", f"labels={y_path}"]


# --- runs -----------------------------------------------------------------

def mpi_env():
    env = dict(os.environ)
    if os.geteuid() == 0:  # Open MPI refuses root without both
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return env


def parse_config(name):
    """(ranks, threads, through mpirun) of a name such as 2x1 or 1x1d."""
    m = re.fullmatch(r"(\d+)x(\d+)(d?)", name)
    if not m:
        raise ValueError(f"configuration '{name}' is not RANKSxTHREADS[d]")
    ranks, threads = int(m.group(1)), int(m.group(2))
    return ranks, threads, ranks > 1 or bool(m.group(3))


def train_command(args, case, config, batch, epochs, data):
    ranks, threads, distributed = parse_config(config)
    cmd = [args.nnc, "train", os.path.join(ROOT, case.model), "--batch", str(batch),
           "--epochs", str(epochs), "--seed", "0", "--threads", str(threads)] + data
    if not distributed:
        return cmd
    cmd += ["--distributed"]
    if args.bucket_mb:
        cmd += ["--bucket-mb", str(args.bucket_mb)]
    return [args.mpirun] + shlex.split(args.mpirun_args) + ["-np", str(ranks)] + cmd


def busy_cores():
    """Tasks of other programs running right now: the mean over 0.5 s of
    /proc/loadavg's running count, less the reader itself."""
    counts = []
    for _ in range(10):
        with open("/proc/loadavg") as f:
            counts.append(int(f.read().split()[3].split("/")[0]) - 1)
        time.sleep(0.05)
    return statistics.mean(counts)


def wait_quiet(limit_s, below=0.5):
    """Waits up to limit_s for the machine to be idle; returns how busy it is."""
    deadline = time.monotonic() + limit_s
    busy = busy_cores()
    while busy >= below and time.monotonic() < deadline:
        time.sleep(1)
        busy = busy_cores()
    return busy


def rounding(text):
    """Half the last printed digit of a number such as 0.85, 933 or 4.8e4."""
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals) * 10.0 ** int(exponent or 0)


def epoch_seconds(samples, duration, rate):
    """(best estimate, half-width) of an epoch's time from nnc's own epoch
    line: its duration (0.85s to the hundredth below 1 s, 3s to the second
    above) and its samples/s (two or three digits). Both come from the same
    clock in nnc, so the time lies in both ranges."""
    if re.fullmatch(r"[0-9.]+s", duration):
        d = float(duration[:-1])
        lo, hi = d - rounding(duration[:-1]), d + rounding(duration[:-1])
    else:  # 1m05s and longer: no bound from the duration
        lo, hi = 0.0, float("inf")
    r, dr = float(rate), rounding(rate)
    lo, hi = max(lo, samples / (r + dr)), min(hi, samples / max(r - dr, 1e-9))
    if lo > hi:  # cannot happen but for a format change: trust the duration
        lo = hi = float(duration[:-1]) if duration[:-1].replace(".", "").isdigit() else lo
    return (lo + hi) / 2, (hi - lo) / 2


def timed_train(cmd, timeout, quiet_s=0):
    """Runs an `nnc train`; returns its speed over epochs 2..E from the
    epoch lines it printed. Progress lines end in '\r' where nnc thinks it
    writes to a terminal (mpirun may give it one), so lines are split at
    both. The time each line arrived is kept too, for comparison: under
    load, mpirun may forward rank 0's lines late."""
    busy = wait_quiet(quiet_s) if quiet_s else busy_cores()
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        # Its own process group, to end it whole on a timeout, but this
        # script's session: a session is a scheduling group of its own
        # (Linux's autogroup), and the runs share the script's.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=mpi_env(),
                                process_group=0)
        epochs, comm, pending = {}, None, b""
        fd = proc.stdout.fileno()
        while True:
            if time.monotonic() - start > timeout:
                os.killpg(proc.pid, 9)
                break
            chunk = os.read(fd, 1 << 16)
            stamp = time.monotonic()
            if not chunk:
                break
            pieces = re.split(rb"[\r\n]", pending + chunk)
            pending = pieces.pop()
            for piece in pieces:
                text = piece.decode("utf-8", "replace").strip()
                m = EPOCH_DONE.search(text)
                if m:
                    epochs[int(m.group(1))] = {"arrived_s": stamp - start,
                                               "samples": int(m.group(3)),
                                               "duration": m.group(4), "rate": m.group(5)}
                elif text.startswith("distributed:") and "all-reduced" in text:
                    comm = text
        rc = proc.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    result = {"rc": rc, "wall_s": time.monotonic() - start, "busy": busy, "comm": comm,
              "epochs": epochs}
    last = max(epochs) if epochs else 0
    if rc != 0 or last < 2 or any(e not in epochs for e in range(1, last + 1)):
        result["error"] = stderr.strip()[-600:] or f"exit {rc}"
        return result
    timed = [epochs[e] for e in range(2, last + 1)]
    samples = sum(e["samples"] for e in timed)
    seconds = [epoch_seconds(e["samples"], e["duration"], e["rate"]) for e in timed]
    total = sum(t for t, _ in seconds)
    result["samples_per_s"] = samples / total
    result["uncertainty"] = sum(w for _, w in seconds) / total  # relative, worst case
    arrived = epochs[last]["arrived_s"] - epochs[1]["arrived_s"]
    if arrived > 0:
        result["samples_per_s_arrival"] = samples / arrived
    return result


def median_run(runs):
    """The run with the median speed (the lower middle one), or None."""
    good = sorted((r for r in runs if "samples_per_s" in r), key=lambda r: r["samples_per_s"])
    return good[(len(good) - 1) // 2] if good else None


def speed(runs):
    r = median_run(runs)
    return r["samples_per_s"] if r else None


def fmt_speed(value):
    return f"{value:,.0f}".replace(",", " ") if value else "failed"


def fmt_ratio(num, den):
    return f"{num / den:.2f}" if num and den else "-"


# --- the cost model -------------------------------------------------------

def build_probe(work_dir):
    mpicc = shutil.which("mpicc")
    if not mpicc:
        return None
    os.makedirs(work_dir, exist_ok=True)
    binary = os.path.join(work_dir, "allreduce_probe")
    proc = subprocess.run([mpicc, "-O2", PROBE_SOURCE, "-o", binary],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        log(f"  allreduce_probe.c does not build: {proc.stdout.strip()[-300:]}")
        return None
    return binary


# How the probe runs: (label, MPI's flags, probe's flags). For an
# MPI_IN_PLACE all-reduce Open MPI's nonblocking collectives (libnbc) take
# the binomial tree unless told otherwise: a reduce to rank 0, then a
# broadcast, of the whole buffer. The MCA parameter selects the ring, which
# nnc asks for in a job of up to 8 ranks (the probe runs 2 or 3), so "poll"
# is the all-reduce as nnc runs it.
RING_MCA = ["--mca", "coll_libnbc_iallreduce_algorithm", "1"]
TREE_MCA = ["--mca", "coll_libnbc_iallreduce_algorithm", "2"]
PROBE_MODES = [
    ("poll", RING_MCA, []),            # as nnc runs and polls it: the ring
    ("spin", TREE_MCA, ["spin"]),      # the tree, without pause
    ("ring", RING_MCA, ["spin"]),      # the ring, without pause
]
# The formula each mode's times are fitted to, stored with the probe's
# times. Files written before the "poll" mode ran the ring lack it: there
# "poll" was the tree, polled every 20 µs after 256 tries.
PROBE_ALGORITHMS = {"poll": "ring", "spin": "binomial", "ring": "ring"}
OLD_PROBE_ALGORITHMS = {"poll": "binomial", "spin": "binomial", "ring": "ring"}


def probe_allreduce(args, binary, ranks, mpi_flags, probe_flags):
    """{bytes: median seconds} of one all-reduce on `ranks` ranks."""
    cmd = ([args.mpirun] + shlex.split(args.mpirun_args) + mpi_flags
           + ["-np", str(ranks), binary, "0.3"] + probe_flags)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=mpi_env(), timeout=300)
    if proc.returncode != 0:
        log(f"  allreduce probe on {ranks} ranks failed: {proc.stderr.strip()[-300:]}")
        return None
    times = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            times[int(parts[0])] = float(parts[1]) * 1e-6
    return times


def log2_ceil(ranks):
    return max(1, math.ceil(math.log2(ranks)))


def ring_time(nbytes, ranks, alpha, beta):
    """Reduce-scatter then all-gather around a ring: 2(N-1) messages of
    n/N bytes each."""
    return 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * nbytes / beta


def binomial_time(nbytes, ranks, alpha, beta):
    """A binomial-tree reduce to one rank, then a binomial broadcast: the
    whole buffer crosses 2 ceil(log2 N) links one after the other."""
    return 2 * log2_ceil(ranks) * (alpha + nbytes / beta)


ALGORITHMS = {"binomial": binomial_time, "ring": ring_time}


def fit(times, ranks, algorithm):
    """(latency per message, bandwidth) of `algorithm`'s formula: the
    latency from the 32-byte time, the bandwidth from the least-squares
    slope over 64 KiB .. 4 MiB."""
    a = times[32]
    sizes = [n for n in times if 65536 <= n <= 4 << 20]
    slope = sum(n * (times[n] - a) for n in sizes) / sum(n * n for n in sizes)
    if algorithm == "ring":
        messages, share = 2 * (ranks - 1), 2 * (ranks - 1) / ranks
    else:
        messages = share = 2 * log2_ceil(ranks)
    return a / messages, (share / slope if slope > 0 else float("inf"))


def probe_time(times, nbytes):
    """The probe's time at nbytes, interpolated linearly between sizes."""
    sizes = sorted(times)
    if nbytes <= sizes[0]:
        return times[sizes[0]]
    for lo, hi in zip(sizes, sizes[1:]):
        if nbytes <= hi:
            return times[lo] + (times[hi] - times[lo]) * (nbytes - lo) / (hi - lo)
    return times[sizes[-1]] * nbytes / sizes[-1]


def comm_figures(line):
    """(all-reduce ms, waited ms) per step from nnc's communication line."""
    # "X ms of all-reduce per step; the step waited Y ms for them", or as
    # runs before that wording printed it, "..., Y ms of it waited".
    m = re.search(r"([0-9.]+) ms of all-reduce per step(?:; the step waited|,) ([0-9.]+) ms",
                  line or "")
    return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def gradient_bytes(nnc, model):
    out = subprocess.run([nnc, "check", os.path.join(ROOT, model)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    m = re.search(r"\((\d+) weights\)", out)
    return 4 * int(m.group(1)) if m else None


def exchange_time(grad_bytes, ranks, alpha, beta, algorithm):
    """What a step waits for: the one bucket's all-reduce (a gradient
    under --bucket-mb is one bucket, ready only when the backward pass
    ends, so none of it is hidden), then the loss sums' (32 bytes, the
    binomial tree whatever the gradient's algorithm)."""
    return (ALGORITHMS[algorithm](grad_bytes, ranks, alpha, beta)
            + binomial_time(LOSS_SUMS_BYTES, ranks, alpha, beta))


def shard_of(case, ranks):
    """The largest shard of B over N ranks, None when B < N."""
    return -(-case.batch // ranks) if ranks <= case.batch else None


def probe_ranks_of(configs):
    return sorted({2} | {parse_config(c)[0] for c in configs.split(",")} & {3})


def measure_cost_inputs(args, cases):
    """The all-reduce probe's times and the one-rank runs at the shard
    sizes, or None where mpicc is missing."""
    binary = build_probe(args.work_dir)
    if not binary:
        log("cost model skipped: mpicc not found or the probe does not build")
        return None
    probe_ranks = probe_ranks_of(args.configs)
    log(f"all-reduce probe on {', '.join(map(str, probe_ranks))} ranks")
    probes = {mode: {n: probe_allreduce(args, binary, n, mpi_flags, flags)
                     for n in probe_ranks}
              for mode, mpi_flags, flags in PROBE_MODES}
    shard_ranks = sorted({1} | set(MODEL_RANKS) | set(probe_ranks))
    shards = collections.defaultdict(list)  # (case, batch) -> runs
    for rnd in range(min(args.rounds, 3)):
        log(f"shard sizes, round {rnd + 1}")
        for case in cases:
            for b in sorted({shard_of(case, n) for n in shard_ranks} - {None}, reverse=True):
                steps = min(8 * case.steps, case.steps * case.batch // b)
                data = case_data(case, b * steps, args.work_dir)
                r = timed_train(train_command(args, case, "1x1d", b, SHARD_EPOCHS, data),
                                args.timeout, args.quiet_wait)
                r.update(case=case.name, config="1x1d", batch=b, round=rnd)
                shards[(case.name, b)].append(r)
                log(f"  {case.name} b{b}: " + (f"{b / r['samples_per_s'] * 1e3:.3f} ms/step"
                                               if "samples_per_s" in r else r["error"]))
    return {"probes": probes, "shards": shards, "algorithms": PROBE_ALGORITHMS}


def print_cost_model(args, cases, runs, inputs):
    probes, shards = inputs["probes"], inputs["shards"]
    poll = probes.get("poll", {})
    probe_ranks = sorted(poll)
    modes = [m for m, _, _ in PROBE_MODES if probes.get(m)]
    algorithms = inputs.get("algorithms") or OLD_PROBE_ALGORITHMS
    labels = {"poll": "as nnc runs it", "spin": "tree, no pause", "ring": "ring, no pause"}
    poll_text = ("as nnc runs it (the ring, `mpirun " + " ".join(RING_MCA) + "`, polled by "
                 "MPI_Test with a yield between polls for 20 ms, then every 20 µs)")
    if algorithms["poll"] != "ring":
        labels["poll"] = "tree, nnc's old poll"
        poll_text = ("as nnc polled it before it chose the ring and yielded (the tree, "
                     "MPI_Test 256 times, then every 20 µs)")

    print("\n## Cost model\n")
    print("All-reduce of f32 on this machine (bench/allreduce_probe.c, shared memory), "
          "median per call: " + poll_text + ", with the binomial tree without pause, and "
          "with the ring without pause:\n")
    print("| bytes | " + " | ".join(f"{n} ranks, {labels[m]}" for n in probe_ranks
                                      for m in modes) + " |")
    print("| ---: |" + " ---: |" * (len(modes) * len(probe_ranks)))
    for size in sorted(next(iter(p for p in poll.values() if p), {})):
        cells = [f"{probes[m][n][size] * 1e6:.1f} µs"
                 if probes[m].get(n) and size in probes[m][n] else "-"
                 for n in probe_ranks for m in modes]
        print(f"| {size} | " + " | ".join(cells) + " |")
    print()
    fits = {}
    for n in probe_ranks:
        for m in modes:
            algorithm = algorithms[m]
            if probes[m].get(n):
                fits[(m, n)] = fit(probes[m][n], n, algorithm)
                alpha, beta = fits[(m, n)]
                print(f"- {n} ranks, {labels[m]}, fitted to the {algorithm} formula: latency "
                      f"{alpha * 1e6:.2f} µs per message, bandwidth {beta / 1e9:.2f} GB/s")

    shard_ranks = sorted({1} | set(MODEL_RANKS) | set(probe_ranks))
    print("\nPer-rank compute T_c(b): one rank, --distributed, 1 thread, at the shard "
          "size b = B/N (ms per step, median); T_1: the single process's step (1x1):\n")
    print("| case | G (gradient) | T_1 | T_1/2 | "
          + " | ".join(f"N={n}" for n in [1] + MODEL_RANKS) + " |")
    print("| --- | ---: | ---: | ---: |" + " ---: |" * (1 + len(MODEL_RANKS)))
    compute, grads, t1s = {}, {}, {}
    for case in cases:
        grads[case.name] = gradient_bytes(args.nnc, case.model)
        s1 = speed(runs.get((case.name, "1x1"), []))
        t1s[case.name] = case.batch / s1 if s1 else None
        for ranks in shard_ranks:
            b = shard_of(case, ranks)
            s = speed(shards.get((case.name, b), [])) if b else None
            if s:
                compute[(case.name, ranks)] = b / s
        cells = []
        for ranks in [1] + MODEL_RANKS:
            t = compute.get((case.name, ranks))
            cells.append(f"{t * 1e3:.3f} (b={shard_of(case, ranks)})" if t else "-")
        t1 = t1s[case.name]
        print(f"| {case.name} | {grads[case.name] / 1e6:.3f} MB | "
              + (f"{t1 * 1e3:.3f} | {t1 / 2 * 1e3:.3f}" if t1 else "- | -") + " | "
              + " | ".join(cells) + " |")

    print("\nThe model against this machine, step times in ms. T_ar: the gradient's and "
          "the loss sums' all-reduce, from the fit of the all-reduce as nnc runs it and from the "
          "probe's own times at those sizes; measured = B / samples/s of the median run; "
          "nnc's all-reduce and waited time from its communication line:\n")
    print("| case | N | T_c | T_ar, fit | T_ar, probe | predicted (probe) | measured "
          "| measured / predicted | nnc: all-reduce, waited |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    cores = os.cpu_count() or 1
    checks = {}
    for case in cases:
        for n in probe_ranks:
            median = median_run(runs.get((case.name, f"{n}x1"), []))
            tc = compute.get((case.name, n))
            if tc is None or not grads[case.name] or ("poll", n) not in fits:
                continue
            # More ranks than cores share them: compute stretches by N/cores.
            tc_eff = tc * max(1.0, n / cores)
            alpha, beta = fits[("poll", n)]
            fitted = exchange_time(grads[case.name], n, alpha, beta, algorithms["poll"])
            probed = probe_time(poll[n], grads[case.name]) + probe_time(poll[n], LOSS_SUMS_BYTES)
            predicted = tc_eff + probed
            cells = [f"{tc_eff * 1e3:.3f}", f"{fitted * 1e3:.3f}", f"{probed * 1e3:.3f}",
                     f"{predicted * 1e3:.3f}"]
            if median:
                t = case.batch / median["samples_per_s"]
                checks[f"{case.name} N={n}"] = t / predicted
                reduce_ms, waited_ms = comm_figures(median["comm"])
                cells += [f"{t * 1e3:.3f}", f"{t / predicted:.2f}",
                          f"{reduce_ms}, {waited_ms}" if reduce_ms is not None else "-"]
            else:
                cells += ["not run", "-", "-"]
            print(f"| {case.name} | {n} | " + " | ".join(cells) + " |")

    columns = [("compute only", None, None, None)] + [
        (f"{name}, {algorithm}", beta, alpha, algorithm)
        for name, beta, alpha in LINKS for algorithm in ("binomial", "ring")]
    print("\nPredicted scaling efficiency T_1 / (N T_step(N)), T_step(N) = T_c(B/N) + "
          "T_ar(G) + T_ar(32 B), with the binomial tree Open MPI takes for an "
          "in-place all-reduce by default and with the ring; ranks like this machine's cores, one "
          "thread each; links at full rate with "
          + ", ".join(f"{a * 1e6:.0f} µs latency at {name}" for name, _, a in LINKS)
          + "; compute only: no communication at all:\n")
    print("| case | N | T_c | " + " | ".join(c[0] for c in columns) + " |")
    print("| --- | ---: | ---: |" + " ---: |" * len(columns))
    predictions = {}
    for case in cases:
        for n in MODEL_RANKS:
            tc, t1 = compute.get((case.name, n)), t1s[case.name]
            if not (t1 and tc and grads[case.name]):
                continue
            cells = []
            for label, beta, alpha, algorithm in columns:
                t = tc + (exchange_time(grads[case.name], n, alpha, beta, algorithm)
                          if algorithm else 0)
                eff = t1 / (n * t)
                predictions[f"{case.name} {label} N={n}"] = eff
                cells.append(f"{eff * 100:.0f}%")
            print(f"| {case.name} | {n} | {tc * 1e3:.3f} | " + " | ".join(cells) + " |")
    return {"fits": {f"{m} N={n}": v for (m, n), v in fits.items()}, "checks": checks,
            "predictions": predictions}


def load_replay(path):
    """Runs, cost-model inputs and machine of a previous --json-out."""
    runs, shards = collections.defaultdict(list), collections.defaultdict(list)
    inputs, info = None, None
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            info = r.get("machine", info)
            if r.get("kind") == "cost_model":
                def keyed(d):
                    return {int(n): {int(b): t for b, t in times.items()} if times else None
                            for n, times in d.items()}
                probes = r["probes"]
                if "poll" not in probes:  # the layout before the ring's probe
                    probes = {"poll": probes, "spin": r.get("spins", {})}
                inputs = {"probes": {m: keyed(d) for m, d in probes.items()},
                          "algorithms": r.get("probe_algorithms")}
            elif r.get("kind") == "shard":
                shards[(r["case"], r["batch"])].append(r)
            else:
                runs[(r["case"], r["config"])].append(r)
    if inputs is not None:
        inputs["shards"] = shards
    return runs, inputs, info


# --- main -----------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", default=DEFAULT_CASES,
                        help="comma-separated subset of: " + ", ".join(CASES))
    parser.add_argument("--configs", default=DEFAULT_CONFIGS,
                        help="comma-separated RANKSxTHREADS[d] (see above)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--bucket-mb", type=float, help="passed to distributed runs")
    parser.add_argument("--mpirun", default="mpirun")
    parser.add_argument("--mpirun-args", default="--oversubscribe",
                        help="flags before -np (default: --oversubscribe)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--quiet-wait", type=float, default=0,
                        help="before each run, wait up to this many seconds for the "
                        "machine to be idle")
    parser.add_argument("--no-cost-model", action="store_true")
    parser.add_argument("--json-out", help="write every run here (JSON lines)")
    parser.add_argument("--replay", metavar="FILE",
                        help="print the tables of an earlier --json-out, running nothing "
                        "(nnc is still asked for the models' sizes)")
    parser.add_argument("--work-dir", default=os.path.join(ROOT, "build", "bench", "distributed"),
                        help="generated data and the probe binary")
    args = parser.parse_args()
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}")
    for c in args.configs.split(","):
        try:
            parse_config(c)
        except ValueError as e:
            parser.error(str(e))
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first is not timed)")
    return args


def run_all(args, cases, configs):
    runs = collections.defaultdict(list)  # (case, config) -> runs
    for rnd in range(args.rounds):
        log(f"round {rnd + 1}/{args.rounds}")
        for case in cases:
            data = case_data(case, case.batch * case.steps, args.work_dir)
            for config in configs:
                r = timed_train(train_command(args, case, config, case.batch, args.epochs, data),
                                args.timeout, args.quiet_wait)
                r.update(case=case.name, config=config, batch=case.batch, round=rnd)
                runs[(case.name, config)].append(r)
                log(f"  {case.name} {config}: "
                    + (f"{r['samples_per_s']:.0f} samples/s (±{r['uncertainty']:.1%}; "
                       f"{r.get('samples_per_s_arrival', 0):.0f} by arrival)"
                       if "samples_per_s" in r else f"failed: {r['error']}")
                    + f", busy {r['busy']:.1f}")
    return runs


def print_speeds(args, info, cases, configs, runs):
    busy = [r["busy"] for rs in runs.values() for r in rs]
    rounds = max((r["round"] for rs in runs.values() for r in rs), default=0) + 1
    print("# nnc train --distributed\n")
    print(f"Machine: {machine.describe_machine(info)}.")
    if "core_speeds_ms" in info:
        # JSON keys are strings: a replayed run's CPUs come back as such.
        speeds = {int(cpu): ms for cpu, ms in (info["core_speeds_ms"] or {}).items()}
        print(f"Before the runs, {machine.describe_core_speeds(speeds)}.")
    if info.get("core_link"):
        link = machine.describe_core_link(info["core_link"], info.get("core_link_after"))
        print(f"{link[0].upper()}{link[1:]}.")
    print(f"nnc: {args.nnc}; {rounds} rounds, {args.epochs} epochs per run (the first "
          f"not timed); other programs' running tasks before each run: median "
          f"{statistics.median(busy):.1f}, max {max(busy):.1f}.\n")
    print("Training speed, samples/s (median over rounds):\n")
    print("| case | model | global batch | " + " | ".join(configs)
          + " | (b)/(a) = 2x1/1x1 (≥ 1.8) | (b)/(c) = 2x1/1x2 (≥ 0.9) |")
    print("| --- | --- | ---: |" + " ---: |" * len(configs) + " ---: | ---: |")
    for case in cases:
        s = {c: speed(runs[(case.name, c)]) for c in configs}
        a, b, c = s.get("1x1"), s.get("2x1"), s.get("1x2")
        print(f"| {case.name} | {case.model} | {case.batch} | "
              + " | ".join(fmt_speed(s[c]) for c in configs)
              + f" | {fmt_ratio(b, a)} | {fmt_ratio(b, c)} |")
    print("\nCommunication (rank 0 of the median run):\n")
    for case in cases:
        for config in configs:
            r = median_run(runs[(case.name, config)])
            if r and r["comm"] and parse_config(config)[0] > 1:
                print(f"- {case.name} {config}: `{r['comm']}`")


def write_json(path, info, runs, inputs, model):
    context = {"machine": machine.machine_json(info)}
    with open(path, "w") as f:
        for rs in runs.values():
            for r in rs:
                f.write(json.dumps({**r, **context}) + "\n")
        if not inputs:
            return
        for rs in inputs["shards"].values():
            for r in rs:
                f.write(json.dumps({**r, "kind": "shard", **context}) + "\n")
        f.write(json.dumps({"kind": "cost_model", "probes": inputs["probes"],
                            "probe_algorithms": inputs["algorithms"], **model,
                            **context}) + "\n")


def main():
    args = parse_args()
    if args.replay:
        runs, inputs, info = load_replay(args.replay)
        present = {name for name, _ in runs}
        cases = [CASES[name] for name in args.cases.split(",") if name in present]
        configs = [c for c in args.configs.split(",")
                   if any((case.name, c) in runs for case in cases)]
    else:
        if not shutil.which(args.mpirun):
            sys.exit(f"distributed_scaling.py: {args.mpirun} not found (install openmpi-bin)")
        cases = [CASES[name] for name in args.cases.split(",")]
        configs = args.configs.split(",")
        info = machine.machine_info()
        log(f"machine: {machine.describe_machine(info)}")
        info["core_speeds_ms"] = machine.measure_core_speeds(args.nnc)
        log(machine.describe_core_speeds(info["core_speeds_ms"]))
        info["core_link"] = machine.measure_core_link(args.nnc)
        log(machine.describe_core_link(info["core_link"]))
        runs = run_all(args, cases, configs)
        if info["core_link"]:
            info["core_link_after"] = machine.measure_core_link(args.nnc)
        inputs = None if args.no_cost_model else measure_cost_inputs(args, cases)
    print_speeds(args, info, cases, configs, runs)
    model = print_cost_model(args, cases, runs, inputs) if inputs else {}
    if args.json_out and not args.replay:
        write_json(args.json_out, info, runs, inputs, model)


if __name__ == "__main__":
    main()

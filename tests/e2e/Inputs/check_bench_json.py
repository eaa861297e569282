"""Checks the `nnc bench --json` lines on stdin: the fields are there and the
values are sane (positive times in order, samples/s consistent with the
median and the batch). Prints `ok` per line, or the first problem and exits 1.
Usage: check_bench_json.py BATCH TRAIN(true|false)"""
import json
import math
import sys

batch, train = int(sys.argv[1]), sys.argv[2] == "true"
FIELDS = ("model", "backend", "threads", "batch", "train", "compile_s", "warmup", "runs",
          "step_ms_median", "step_ms_min", "step_ms_max", "samples_per_s")
lines = [line for line in sys.stdin if line.strip()]
if len(lines) != 1:
    sys.exit(f"expected one JSON line, got {len(lines)}")
r = json.loads(lines[0])
problems = [f"missing '{f}'" for f in FIELDS if f not in r]
if not problems:
    if r["batch"] != batch or r["train"] != train or r["threads"] < 1:
        problems.append(f"batch {r['batch']}, train {r['train']}, threads {r['threads']}")
    if not 0 < r["step_ms_min"] <= r["step_ms_median"] <= r["step_ms_max"]:
        problems.append("step times out of order")
    if not 0 < r["compile_s"] < 600 or r["runs"] < 1:
        problems.append(f"compile_s {r['compile_s']}, runs {r['runs']}")
    expected = batch / (r["step_ms_median"] / 1e3)
    if not math.isclose(r["samples_per_s"], expected, rel_tol=1e-3, abs_tol=0.1):
        problems.append(f"samples_per_s {r['samples_per_s']}, expected {expected}")
    if train and not (isinstance(r.get("loss"), float) and math.isfinite(r["loss"])):
        problems.append(f"loss {r.get('loss')}")
if problems:
    sys.exit("; ".join(problems))
print("ok")

#!/usr/bin/python3
"""Checks `nnc bench --profile` output and a `--trace` file.

    check_profile.py table MODEL.nn [SHARE] < output  the profile table
    check_profile.py trace TRACE.json STEPS           the trace-event file
    check_profile.py spread TRACE.json THREADS        kernels that split inside

table: every kernel row's source is a real line of MODEL.nn that holds
code and its backend column is filled in (cpu and ref describe every
kernel through their profile extension); the machine's measured FMA peak
is given, and every row with FLOPs shows its GFLOP/s as that share of it; the rows' total thread time adds up to the summary's kernel time;
with SHARE (0.10) on one thread, the kernels' time is within that share of
the measured step time (for steps long beside the executor's own work).
trace: the Chrome trace-event format (a JSON object with traceEvents;
complete events with name, ph "X", ts, dur >= 0, pid, tid; metadata
events naming the process and threads), one step event per timed run,
and kernel events inside the steps, each naming its source, kernel and
the backend's summary. Prints `ok`, or the first problem and
exits 1. spread: the kernel events the cpu backend describes as split
inside one call ("split inside", "k blocks") say they kept THREADS
threads busy (args.threads), and no other event says so; at least one
such event. Standard library only.
"""
import json
import re
import sys

# The source is "model.nn:LINE", with " (INSTANCE)" after it for a kernel
# made inside a layer call.
ROW = re.compile(r"^(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(?:(\d+)\s+)?(\d+)\s+(\S+)(?: \([\w.]+\))?\s+(\S+)(?:\s\s+(\S.*))?$")
PEAK = re.compile(r"^%peak: of the fp32 FMA peak measured now, ([\d.]+) GFLOP/s on (\d+) threads?$")
SUMMARY = re.compile(r"^(\d+) steps? on (\d+) threads?, means per step: step ([\d.]+) us, "
                     r"kernels ([\d.]+) thread-us, critical path ([\d.]+) us, "
                     r"executor overhead ([\d.]+) us, idle threads (\d+)%$")


def fail(message):
    sys.exit("check_profile: " + message)


def check_table(model_path, share=None):
    with open(model_path) as f:
        model_lines = f.read().split("\n")
    model_name = model_path.rsplit("/", 1)[-1]
    rows, summary, peak = [], None, None
    for line in sys.stdin:
        line = line.rstrip("\n")
        if m := ROW.match(line):
            rows.append(m)
        elif m := SUMMARY.match(line):
            summary = m
        elif m := PEAK.match(line):
            peak = float(m.group(1))
    if not rows or not summary:
        fail(f"no profile rows ({len(rows)}) or no summary line")
    if not peak or peak <= 0:
        fail("no measured FMA peak")
    steps, threads = int(summary.group(1)), int(summary.group(2))
    step_us, busy_us = float(summary.group(3)), float(summary.group(4))
    for m in rows:
        source, ops = m.group(9), m.group(10)
        gflops, of_peak = float(m.group(6)), m.group(7)
        if gflops > 0.5 and (of_peak is None or abs(int(of_peak) - 100 * gflops / peak) > 1):
            fail(f"kernel {m.group(1)}: {gflops} GFLOP/s shown as {of_peak}% of a {peak} GFLOP/s peak")
        if not m.group(11):
            fail(f"kernel {m.group(1)} ({ops}) has no backend summary")
        if source == "-":
            if ops != "nn.constant":
                fail(f"kernel {m.group(1)} ({ops}) has no source line")
            continue
        name, _, number = source.rpartition(":")
        if name != model_name or not number.isdigit():
            fail(f"source '{source}' is not a line of {model_name}")
        text = model_lines[int(number) - 1].strip() if 0 < int(number) <= len(model_lines) else ""
        if not text or text.startswith("#"):
            fail(f"source '{source}' points at no code: {text!r}")
        if int(m.group(2)) != steps:
            fail(f"kernel {m.group(1)} ran {m.group(2)} times in {steps} steps")
    total_us = sum(float(m.group(3)) for m in rows) * 1e3 / steps
    if abs(total_us - busy_us) > 0.05 * busy_us + 1:
        fail(f"rows add up to {total_us:.1f} us a step, the summary says {busy_us}")
    if share is not None and threads == 1 and abs(busy_us - step_us) > share * step_us:
        fail(f"one thread: kernels {busy_us} us against a step of {step_us} us")
    print("ok")


def check_trace(path, steps):
    with open(path) as f:
        trace = json.load(f)
    events = trace.get("traceEvents")
    if not isinstance(events, list) or not events:
        fail("no traceEvents list")
    step_events, kernel_events, named = [], [], set()
    for e in events:
        if e.get("ph") == "M":
            if e.get("name") not in ("process_name", "thread_name") or "name" not in e.get("args", {}):
                fail(f"bad metadata event {e}")
            named.add((e["name"], e.get("tid")))
            continue
        if e.get("ph") != "X":
            fail(f"unexpected event phase {e.get('ph')}")
        for key, kind in (("name", str), ("ts", (int, float)), ("dur", (int, float)),
                          ("pid", int), ("tid", int)):
            if not isinstance(e.get(key), kind):
                fail(f"event without a valid '{key}': {e}")
        if e["dur"] < 0:
            fail(f"negative duration: {e}")
        (step_events if e["tid"] == 0 else kernel_events).append(e)
    if len(step_events) != steps:
        fail(f"{len(step_events)} step events for {steps} runs")
    if not kernel_events:
        fail("no kernel events")
    for e in kernel_events:
        if ("thread_name", e["tid"]) not in named:
            fail(f"track {e['tid']} has no thread_name")
        if not any(s["ts"] <= e["ts"] and e["ts"] + e["dur"] <= s["ts"] + s["dur"] + 1e-3
                   for s in step_events):
            fail(f"kernel event outside every step: {e}")
        if any(key not in e.get("args", {}) for key in ("source", "kernel", "backend")):
            fail(f"kernel event without source, kernel and backend args: {e}")
    print("ok")


def check_spread(path, threads):
    with open(path) as f:
        events = json.load(f)["traceEvents"]
    spread = 0
    for e in events:
        if e.get("cat") != "kernel":
            continue
        backend = e["args"].get("backend", "")
        inside = "split inside" in backend or "k blocks" in backend
        said = e["args"].get("threads")
        if inside and said != threads:
            fail(f"{backend}: threads {said}, expected {threads}")
        if not inside and said is not None:
            fail(f"{backend}: threads {said} on a kernel called per chunk")
        spread += inside
    if not spread:
        fail("no kernel split inside one call")
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "table":
        check_table(sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "trace":
        check_trace(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "spread":
        check_spread(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)

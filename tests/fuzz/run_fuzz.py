#!/usr/bin/env python3
"""Runs the libFuzzer frontend target for a bounded time (CTest: frontend-fuzz-short).

The seed corpus is copied into a fresh work folder on every run, so the
checked-in seeds never change and each run starts from the same state.
Crash reproducers land in WORK/artifacts/; the test fails if any appear.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--dict")
    ap.add_argument("--seeds", nargs="+", default=[])
    ap.add_argument("--work", required=True)
    ap.add_argument("--max-total-time", type=int, default=60)
    ap.add_argument("--max-len", type=int, default=4096)
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--pattern", default="*.nn", help="seed files to copy")
    args = ap.parse_args()

    corpus = os.path.join(args.work, "corpus")
    artifacts = os.path.join(args.work, "artifacts")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(corpus)
    os.makedirs(artifacts)
    seeds = 0
    for folder in args.seeds:
        for path in sorted(glob.glob(os.path.join(folder, args.pattern))):
            # Prefix with the folder so equal names from two folders coexist.
            name = os.path.basename(folder) + "_" + os.path.basename(path)
            shutil.copyfile(path, os.path.join(corpus, name))
            seeds += 1
    print("seeds: %d" % seeds, flush=True)

    cmd = [
        args.fuzzer,
        corpus,
        "-max_total_time=%d" % args.max_total_time,
        "-rss_limit_mb=%d" % args.rss_limit_mb,
        "-max_len=%d" % args.max_len,
        # A frontend run on 4 KiB must be instant; 10 s is a hang.
        "-timeout=10",
        "-print_final_stats=1",
        "-artifact_prefix=" + artifacts + os.sep,
    ]
    if args.dict:
        cmd.append("-dict=" + args.dict)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    print(" ".join(cmd), flush=True)
    rc = subprocess.call(cmd, env=env)
    found = sorted(os.listdir(artifacts))
    if rc != 0 or found:
        print("FAIL: fuzzer exited with %d; reproducers: %s" %
              (rc, ", ".join(os.path.join(artifacts, f) for f in found) or "none"))
        return 1
    print("PASS: no crash in %d s" % args.max_total_time)
    return 0


if __name__ == "__main__":
    sys.exit(main())

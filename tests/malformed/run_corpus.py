#!/usr/bin/env python3
"""Runs nnc-frontend-check over the malformed corpus and over generated
hostile inputs (CTest: malformed-corpus, malformed-corpus-asan).

Corpus files (tests/malformed/*.nn) must be rejected:
  - exit code exactly 1 (sanitizer reports exit with 99, crashes with <0),
  - stderr starts with "<file>:L:C: error: MSG", then the source line, then
    a caret line,
  - L:C and MSG match the file's first line, "# expect: L:C: SUBSTRING"
    (or, for files that cannot hold a comment, the "<stem>.expect" file).
    C may be "*" for generated inputs whose column is an implementation
    detail.

Generated inputs (written under --work): deep nesting of each bracket kind,
a long line, and 10 MB and random-byte files that must exit 0 or 1 and, when
they exit 1, print well-formed diagnostics.
"""
import argparse
import glob
import os
import random
import re
import subprocess
import sys
import time

SANITIZER_EXIT = 99
EXPECT_RE = re.compile(r"^# expect: (\d+):(\d+|\*): (.+?)\s*$")
CARET_RE = re.compile(r"^[ \t]*\^[~^]*\s*$")
REPORT_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                  "UndefinedBehaviorSanitizer")


def sanitizer_env():
    env = dict(os.environ)
    # Every report must end the run with a code the checks can tell apart
    # from the driver's own 0/1/2/3.
    env["ASAN_OPTIONS"] = ("exitcode=%d:detect_leaks=1:abort_on_error=0:"
                           "detect_stack_use_after_return=1" % SANITIZER_EXIT)
    env["UBSAN_OPTIONS"] = ("exitcode=%d:halt_on_error=1:print_stacktrace=1"
                            % SANITIZER_EXIT)
    return env


def read_expectation(path):
    """Returns (line, col, substring) or None."""
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    m = EXPECT_RE.match(first)
    if not m:
        sidecar = os.path.splitext(path)[0] + ".expect"
        if os.path.exists(sidecar):
            with open(sidecar, encoding="utf-8") as f:
                m = EXPECT_RE.match("# expect: " + f.readline())
    if not m:
        return None
    return int(m.group(1)), m.group(2), m.group(3)


class Runner:
    def __init__(self, checker, timeout):
        self.checker = checker
        self.timeout = timeout
        self.env = sanitizer_env()
        self.offenders = []
        self.timings = []

    def run(self, path):
        start = time.monotonic()
        try:
            p = subprocess.run([self.checker, path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=self.env,
                               timeout=self.timeout)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = None, ""
        self.timings.append((time.monotonic() - start, path))
        return rc, err

    def fail(self, path, why, err=""):
        tail = "\n".join(err.splitlines()[:12])
        self.offenders.append("%s: %s%s" % (path, why,
                                            ("\n    " + tail.replace("\n", "\n    ")) if tail else ""))

    def check_format(self, path, rc, err):
        """Checks what every run must satisfy; returns the first diagnostic
        as (line, col, message) when there is one."""
        if rc is None:
            self.fail(path, "timed out after %d s" % self.timeout)
            return None
        if any(m in err for m in REPORT_MARKERS) or rc == SANITIZER_EXIT:
            self.fail(path, "sanitizer report (exit %d)" % rc, err)
            return None
        if rc not in (0, 1):
            self.fail(path, "exit code %d" % rc, err)
            return None
        if rc == 0:
            return None
        lines = err.split("\n")
        m = re.match(r"^%s:(\d+):(\d+): error: (.*)$" % re.escape(path),
                     lines[0])
        if not m:
            self.fail(path, "first line is not '<file>:L:C: error: ...'", err)
            return None
        if len(lines) < 3 or not CARET_RE.match(lines[2]):
            self.fail(path, "no source line and caret line after the error",
                      err)
            return None
        return int(m.group(1)), int(m.group(2)), m.group(3)

    def expect_error(self, path, expectation):
        line, col, needle = expectation
        rc, err = self.run(path)
        if rc == 0:
            self.fail(path, "accepted, expected an error")
            return
        got = self.check_format(path, rc, err)
        if got is None:
            return
        gl, gc, msg = got
        if gl != line or (col != "*" and gc != int(col)):
            self.fail(path, "first error at %d:%d, expected %d:%s" %
                      (gl, gc, line, col), err)
        elif needle not in msg:
            self.fail(path, "first error lacks '%s'" % needle, err)

    def expect_no_crash(self, path):
        rc, err = self.run(path)
        self.check_format(path, rc, err)
        return rc


def write(path, data):
    with open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


HEADER = "model m\ninput x: f32[B, 4]\n"


def generate_rejects(work):
    """Inputs that must be rejected, too large to check in."""
    n = 100000
    # 1 MB of statements on one line, then an error at its end: the echo of
    # the line must be cut around the column.
    long_line = "output y = x" + "; let h = x" * 90000
    cases = {
        "deep_parens": (HEADER + "output y = " + "(" * n + "x" + ")" * n + "\n",
                        (3, "*", "too deep")),
        "deep_brackets": (HEADER + "output y = reshape(x, shape=" + "[" * n +
                          "]" * n + ")\n", (3, "*", "too deep")),
        "deep_calls": (HEADER + "output y = " + "relu(" * n + "x" + ")" * n +
                       "\n", (3, "*", "too deep")),
        "deep_unary_minus": (HEADER + "output y = " + "-" * n + "x\n",
                             (3, "*", "too deep")),
        # A flat chain is a deep tree for every recursive pass after parsing.
        "long_sum": (HEADER + "output y = x" + " + x" * n + "\n",
                     (3, "*", "too deep")),
        "deep_repeat": (HEADER + "let h = x\n" + "repeat 1 {\n" * n +
                        "let h = h + x\n" + "}\n" * n + "output h\n",
                        (None, "*", "too deep")),
        "long_line": (HEADER + long_line + " $\n",
                      (3, str(len(long_line) + 2), "unexpected character '$'")),
    }
    out = []
    for name, (text, exp) in cases.items():
        out.append((write(os.path.join(work, name + ".nn"), text), exp))
    return out


def generate_survivors(work):
    """Inputs that may be accepted or rejected but must not crash or hang."""
    rng = random.Random(1234)
    out = []
    # ~10 MB valid program: long names keep the node count moderate.
    lines = [HEADER, "param w: f32[4, 4] = zeros\n",
             "let value_with_a_fairly_long_name_for_size_0 = x\n"]
    size, i = sum(map(len, lines)), 0
    while size < 10 * 1024 * 1024:
        i += 1
        s = ("let value_with_a_fairly_long_name_for_size_%d = "
             "value_with_a_fairly_long_name_for_size_%d * 0.5 + x"
             "  # padding comment to reach ten megabytes quickly\n" % (i, i - 1))
        lines.append(s)
        size += len(s)
    lines.append("output value_with_a_fairly_long_name_for_size_%d\n" % i)
    out.append(write(os.path.join(work, "big_valid.nn"), "".join(lines)))
    # ~10 MB of DSL-shaped garbage: the parser's recovery and the error
    # limit get exercised on every line.
    vocab = ["let", "param", "input", "output", "layer", "repeat", "train",
             "freeze", "loss", "=", "(", ")", "[", "]", "{", "}", ",", ":",
             "@", "+", "*", "-", "/", "x", "w", "relu", "conv2d", "f32",
             "B", "1", "-1", "0.5", "1e308", "\"s\"", "\n", ";", "#c\n"]
    chunks, size = [], 0
    while size < 10 * 1024 * 1024:
        s = " ".join(rng.choice(vocab) for _ in range(64)) + "\n"
        chunks.append(s)
        size += len(s)
    out.append(write(os.path.join(work, "big_garbage.nn"), "".join(chunks)))
    # Random bytes, small and large.
    for k, n in enumerate([1, 7, 100, 4096, 65536, 1 << 20]):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        out.append(write(os.path.join(work, "random_%d.nn" % k), data))
    # Random printable ASCII with newlines, so the lexer gets past byte
    # errors into the parser.
    printable = "".join(chr(c) for c in range(32, 127)) + "\n\n\n"
    out.append(write(os.path.join(work, "random_ascii.nn"),
                     "".join(rng.choice(printable) for _ in range(1 << 20))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checker", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    r = Runner(args.checker, args.timeout)

    corpus = sorted(glob.glob(os.path.join(args.corpus, "*.nn")))
    if not corpus:
        print("FAIL: no corpus files in %s" % args.corpus)
        return 1
    for path in corpus:
        exp = read_expectation(path)
        if exp is None:
            r.fail(path, "no '# expect: L:C: MESSAGE' line or .expect file")
            continue
        r.expect_error(path, exp)
    for path, exp in generate_rejects(args.work):
        if exp[0] is None:
            # The line where the limit trips depends on the limit.
            rc, err = r.run(path)
            got = r.check_format(path, rc, err)
            if rc == 0:
                r.fail(path, "accepted, expected an error")
            elif got and exp[2] not in got[2]:
                r.fail(path, "first error lacks '%s'" % exp[2], err)
            continue
        r.expect_error(path, exp)
    survivors = {}
    for path in generate_survivors(args.work):
        survivors[os.path.basename(path)] = r.expect_no_crash(path)

    print("checked %d corpus files and %d generated inputs" %
          (len(corpus), len(r.timings) - len(corpus)))
    print("generated inputs that exit 0 or 1: %s" %
          ", ".join("%s=%s" % kv for kv in sorted(survivors.items())))
    for secs, path in sorted(r.timings, reverse=True)[:5]:
        print("  slowest: %.2f s %s" % (secs, os.path.basename(path)))
    if r.offenders:
        print("FAIL: %d offender(s):" % len(r.offenders))
        for o in r.offenders:
            print("  " + o)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

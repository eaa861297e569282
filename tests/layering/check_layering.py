#!/usr/bin/env python3
"""Checks the dependency direction of the source tree (STYLE.md rule 2).

Each rule names files and the #include prefixes they must not use. The
runtime and the kernels must build without MLIR or LLVM, so that a deployed
artifact needs neither; the frontend's MLIR bridge is MLIRGen alone.
Exits 1 listing every violation.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1])
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
COMPILER = ("mlir/", "llvm/", "llvm-c/")
OURS_ABOVE_RUNTIME = ("frontend/", "ir/", "passes/", "backends/", "tools/")

RULES = [
    # (glob, excluded file names, forbidden include prefixes)
    # Header-only helpers every layer may use: they use nothing of ours.
    ("support/*", (), COMPILER + OURS_ABOVE_RUNTIME + ("runtime/", "api/", "train/", "driver/", "onnx/", "distributed/", "python/")),
    ("runtime/*", (), COMPILER + OURS_ABOVE_RUNTIME),
    ("backends/ref/kernels/*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("backends/ref/RefProgram.*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("backends/ref/RefSerializer.*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("backends/ref/RefPlugin.cpp", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("backends/ref/RefSteps.*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("backends/ref/RefAttrs.*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    # libnnc, the C++ API for running artifacts, is the runtime's alone.
    ("api/*", (), COMPILER + OURS_ABOVE_RUNTIME),
    # The deployment runner links the runtime alone (of train/ it takes
    # ExitCode.h, one enum).
    ("tools/nnc-run/*", (), COMPILER + ("frontend/", "ir/", "passes/", "backends/", "tools/")),
    ("backends/null/*", (), COMPILER + ("frontend/", "ir/", "passes/", "tools/")),
    ("frontend/*", ("MLIRGen.h", "MLIRGen.cpp"), COMPILER + ("passes/", "backends/", "tools/", "runtime/")),
    ("ir/*", (), ("frontend/", "passes/", "backends/", "tools/")),
    ("ir/ShapeRules.*", (), COMPILER),
    ("ir/TrainingShapeRules.*", (), COMPILER),
    ("ir/ShapeRuleSupport.*", (), COMPILER),
    ("passes/*", (), ("frontend/", "backends/", "tools/")),
    # The ONNX importer emits model-language text; it never sees MLIR.
    ("onnx/*", (), COMPILER + ("frontend/", "ir/", "passes/", "backends/", "tools/")),
    # The training library runs compiled graphs; the commands compile them.
    # Data parallelism plugs into its hooks (distributed/), not the reverse.
    ("train/*", (), ("mlir/", "ir/", "passes/", "backends/", "tools/", "driver/", "distributed/", "frontend/MLIRGen.h")),
    # The compiler as a library: the commands use it, never the reverse.
    ("driver/*", (), ("backends/", "tools/")),
    # Data-parallel training is a plug-in of the training loop; it never
    # sees MLIR.
    ("distributed/*", (), COMPILER + ("frontend/", "ir/", "passes/", "backends/", "tools/")),
]


def main():
    violations = []
    checked = 0
    for pattern, excluded, forbidden in RULES:
        for path in sorted(ROOT.glob(pattern)):
            if path.name in excluded or path.suffix not in (".h", ".cpp", ".c"):
                continue
            checked += 1
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if match and match.group(1).startswith(forbidden):
                    violations.append("%s:%d: includes %s" % (path.relative_to(ROOT), number, match.group(1)))
    if checked == 0:
        print("error: no source files found under %s" % ROOT)
        return 1
    for v in violations:
        print("error: " + v)
    print("checked %d files, %d layering violations" % (checked, len(violations)))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

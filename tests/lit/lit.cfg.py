# lit configuration for nnc's FileCheck tests (tests/lit and tests/e2e).
import os
import lit.formats

config.name = config.nnc_suite_name
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".nn", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = config.nnc_suite_source_dir
config.test_exec_root = config.nnc_suite_binary_dir

# Tools under test first, then LLVM's FileCheck, not, count, split-file.
config.environment["PATH"] = os.pathsep.join(
    [config.nnc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])]
)
config.substitutions.append(("%examples", os.path.join(config.nnc_source_dir, "examples")))
config.substitutions.append(("%nnc_src", config.nnc_source_dir))
# Debian's interpreter, named: a python3 earlier on PATH may lack what the
# tests need.
config.substitutions.append(("%python", "/usr/bin/python3"))
# Backend plugins: the build's plugin folder, and the broken test plugins of
# tests/plugins, kept apart so that a plain `nnc backends` does not see them.
config.substitutions.append(("%plugin_dir", os.path.join(config.nnc_binary_dir, "lib", "nnc", "plugins")))
# The deployment's runtime-only plugins (nnc-run), which nnc does not search.
config.substitutions.append(("%runtime_plugin_dir", os.path.join(config.nnc_binary_dir, "lib", "nnc", "runtime-plugins")))
config.substitutions.append(("%bin_dir", config.nnc_tools_dir))
config.substitutions.append(("%plugins", os.path.join(config.nnc_binary_dir, "tests", "plugins")))
# MLIR's .td files, which the nn dialect's ODS includes (tests/lit/tblgen).
config.substitutions.append(("%mlir_include", os.path.normpath(os.path.join(config.llvm_tools_dir, "..", "include"))))

# Programs some tests need beyond the build, which scripts/install-deps.sh
# installs: Graphviz draws the --report page's graph; a headless Chromium
# opens that page.
import shutil
if shutil.which("dot"):
    config.available_features.add("graphviz")
if shutil.which("chromium"):
    config.available_features.add("chromium")
# nnc-core-link pins a thread to each of two CPUs.
if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2:
    config.available_features.add("two-cpus")

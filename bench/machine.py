"""What bench/run_bench.py knows about the machine it runs on.

The CPU's identity and caches are printed with every result, and its fp32 FMA
peak is measured here rather than assumed, so that "% of peak" and the peers'
configuration mean the same thing on any x86 machine. Python standard library
only.
"""
import json
import os
import subprocess
import sys

SYSFS_CACHE = "/sys/devices/system/cpu/cpu0/cache"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def read_cpuinfo():
    """Vendor, family, model, stepping, model name and flags of the first CPU."""
    info = {"vendor": "?", "family": "?", "model": "?", "stepping": "?",
            "model_name": "?", "flags": set()}
    keys = {"vendor_id": "vendor", "cpu family": "family", "model": "model",
            "stepping": "stepping", "model name": "model_name"}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = (part.strip() for part in line.partition(":"))
                if key in keys:
                    info[keys[key]] = value
                elif key == "flags":
                    info["flags"] = set(value.split())
    except OSError:
        pass
    return info


def _parse_size(text):
    """Bytes of a sysfs cache size such as '48K' or '1024K'."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip()
    if text and text[-1].upper() in units:
        return int(text[:-1]) * units[text[-1].upper()]
    return int(text)


def _count_cpus(cpu_list):
    """Number of CPUs in a list such as '0-3,8'."""
    count = 0
    for part in cpu_list.strip().split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def _sysfs_caches():
    """Caches of cpu0 from sysfs, or [] where the kernel does not expose them."""
    caches = []
    try:
        names = sorted(n for n in os.listdir(SYSFS_CACHE) if n.startswith("index"))
    except OSError:
        return []
    for name in names:
        def read(field):
            with open(os.path.join(SYSFS_CACHE, name, field)) as f:
                return f.read().strip()
        try:
            kind = read("type")
            if kind == "Instruction":
                continue
            suffix = "d" if kind == "Data" else ""
            caches.append({"name": f"L{int(read('level'))}{suffix}",
                           "bytes": _parse_size(read("size")),
                           "shared_by": _count_cpus(read("shared_cpu_list"))})
        except (OSError, ValueError):
            continue
    return caches


def _getconf_caches():
    """Caches from glibc's getconf, which reads them with CPUID.

    Some guests (Firecracker among them) expose no cache folder in sysfs and
    lscpu then shows nothing either. getconf does not say which CPUs share a
    cache: L1d and L2 are taken as per core and L3 as shared by all."""
    caches = []
    for level, name in ((1, "LEVEL1_DCACHE_SIZE"), (2, "LEVEL2_CACHE_SIZE"),
                        (3, "LEVEL3_CACHE_SIZE")):
        try:
            out = subprocess.run(["getconf", name], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True).stdout.strip()
            size = int(out)
        except (OSError, ValueError):
            continue
        if size > 0:
            caches.append({"name": f"L{level}{'d' if level == 1 else ''}", "bytes": size,
                           "shared_by": 1 if level < 3 else 0})
    return caches


def cache_sizes():
    """(caches, source): each data or unified cache's name (L1d, L2, L3),
    bytes and number of CPUs sharing it (0 when unknown)."""
    caches = _sysfs_caches()
    if caches:
        return caches, "sysfs"
    caches = _getconf_caches()
    return caches, "getconf, i.e. CPUID" if caches else "unknown"


def _human_bytes(size):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    return f"{size} B"


def _smt_siblings():
    """Hardware threads of cpu0's core (1 where unknown)."""
    try:
        with open("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list") as f:
            return _count_cpus(f.read())
    except (OSError, ValueError):
        return 1


def describe_caches(caches):
    siblings = _smt_siblings()
    parts = []
    for cache in caches:
        # A cache shared only by one core's hardware threads is still per core.
        if 1 <= cache["shared_by"] <= siblings:
            sharing = "per core"
        elif cache["shared_by"] > 1:
            sharing = f"shared by {cache['shared_by']} CPUs"
        else:
            sharing = "shared"
        parts.append(f"{cache['name']} {_human_bytes(cache['bytes'])} {sharing}")
    return ", ".join(parts) or "cache sizes unknown"


def machine_info():
    """Everything printed about the CPU; 'flags' is for choosing ISAs, not output."""
    info = read_cpuinfo()
    info["caches"], info["cache_source"] = cache_sizes()
    info["cpus"] = os.cpu_count()
    return info


def machine_json(info):
    """The machine as stored in every JSON result line (no flag list)."""
    return {k: v for k, v in info.items() if k != "flags"}


def describe_machine(info):
    return (f"{info['model_name']} ({info['vendor']}, family {info['family']}, model "
            f"{info['model']}, stepping {info['stepping']}, {info['cpus']} CPUs); "
            f"{describe_caches(info['caches'])} (from {info['cache_source']})")


def measure_fma_peak(nnc, threads, flags):
    """Measured fp32 FMA GFLOP/s at 1 and `threads` threads with the widest
    vectors the CPU has, by nnc-fma-peak (runtime/FmaPeak.h, the same
    measurement `nnc ... --profile` reports against), built beside the `nnc`
    binary; None (logged) where it cannot be measured."""
    if "avx512f" in flags:
        isa = "avx512"
    elif "avx2" in flags and "fma" in flags:
        isa = "avx2"
    else:
        log("  no AVX2 FMA on this CPU: peak not measured")
        return None
    binary = os.path.join(os.path.dirname(os.path.abspath(nnc)), "nnc-fma-peak")
    if not os.path.exists(binary):
        log(f"  {binary} is not built: peak not measured")
        return None
    proc = subprocess.run([binary, isa, str(threads)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        log(f"  {binary} failed: {proc.stderr.strip()}")
        return None
    return json.loads(proc.stdout)


CORE_SPEED_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models",
                                "mlp_784_512_256_10.nn")


def measure_core_speeds(nnc, limit=16):
    """{cpu: median ms} of one thread of the MLP's batch-128 training step
    pinned to each CPU this process may use (the first `limit`), one CPU at a
    time; None (logged) where it cannot be measured.

    The FMA peak is the same on every core of a machine, but a guest's
    virtual CPUs need not be: one that shares its physical core or its
    caches with another tenant runs memory-heavy kernels slower. Work split
    evenly over threads or ranks then waits for the slowest, which caps
    every 2-thread and 2-rank ratio; printing the spread with the results
    says when that happened."""
    try:
        cpus = sorted(os.sched_getaffinity(0))[:limit]
    except (AttributeError, OSError):
        return None
    speeds = {}
    for cpu in cpus:
        try:
            proc = subprocess.run(
                [nnc, "bench", CORE_SPEED_MODEL, "--train", "--batch", "128", "--threads",
                 "1", "--warmup", "10", "--repeat", "100", "--json"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
                preexec_fn=lambda cpu=cpu: os.sched_setaffinity(0, {cpu}))
            speeds[cpu] = json.loads(proc.stdout.strip().splitlines()[-1])["step_ms_median"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError) as e:
            log(f"  per-core speed on CPU {cpu} not measured: {e}")
            return None
    return speeds


def describe_core_speeds(speeds):
    if not speeds:
        return "per-core speed not measured"
    fastest, slowest = min(speeds.values()), max(speeds.values())
    per_cpu = ", ".join(f"CPU {cpu} {ms:.2f}" for cpu, ms in sorted(speeds.items()))
    text = (f"per-core speed (the MLP's batch-128 training step, 1 thread pinned to each "
            f"CPU, ms): {per_cpu}")
    if len(speeds) > 1:
        text += (f"; the slowest takes {(slowest / fastest - 1) * 100:.0f}% longer than "
                 f"the fastest")
        if slowest > 1.1 * fastest:
            text += (": work split evenly over threads or ranks waits for the slowest, "
                     "which bounds the multi-thread and multi-rank figures below")
    return text


def measure_core_link(nnc):
    """{"cpus", "bytes", "read_gbps", "write_gbps"} from nnc-core-link
    (built beside the `nnc` binary): how fast one core reads 1 MiB another
    has just written, and writes lines the other has just read; None
    (logged) where it cannot be measured.

    A step at two threads moves data between the cores all the time. On a
    virtual machine these rates depend on where the host put the virtual
    CPUs and can change within minutes: on the AMD EPYC guest of
    docs/performance.md a write rate of 6-7 GB/s came with 2-thread steps
    1.5-1.8 times as long as at 31 GB/s. Measured before and after a run,
    they say which case its figures come from."""
    binary = os.path.join(os.path.dirname(os.path.abspath(nnc)), "nnc-core-link")
    if not os.path.exists(binary):
        log(f"  {binary} is not built: cross-core rates not measured")
        return None
    try:
        proc = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60)
        if proc.returncode != 0:
            log(f"  cross-core rates not measured: {proc.stderr.strip()}")
            return None
        return json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        log(f"  cross-core rates not measured: {e}")
        return None


def describe_core_link(before, after=None):
    """One line on the cross-core rates measured before (and after) a run."""
    if not before:
        return "cross-core rates not measured"
    a, b = before["cpus"]
    text = (f"cross-core rates (1 MiB, nnc-core-link): CPU {b} reads what CPU {a} just "
            f"wrote at {before['read_gbps']:.1f} GB/s and CPU {a} writes lines CPU {b} "
            f"just read at {before['write_gbps']:.1f} GB/s before the runs")
    if after:
        text += f"; after them {after['read_gbps']:.1f} and {after['write_gbps']:.1f} GB/s"
    return text


def describe_peak(peak):
    if peak is None:
        return "FMA peak not measured: no % of peak below"
    isa = "AVX-512" if peak["isa"] == "avx512" else "AVX2"
    text = f"fp32 {isa} FMA peak (measured now): {peak['gflops_1t']:.1f} GFLOP/s on 1 thread"
    if peak["threads"] > 1:
        text += f", {peak['gflops_nt']:.1f} GFLOP/s on {peak['threads']}"
    return text

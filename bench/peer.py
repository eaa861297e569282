"""The peers of bench/run_bench.py: numpy (OpenBLAS) GEMM and PyTorch models.

Run by run_bench.py with a Python that has numpy and torch, one fresh process
per thread configuration (the environment carries OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, OMP_WAIT_POLICY, OPENBLAS_CORETYPE):

    peer.py --torch-threads N --warmup W --repeat R --max-seconds S CASE...

CASE is gemm_256, gemm_512, gemm_1024 (numpy.matmul into a preallocated
output), mlp_train_b32, mlp_train_b128, lenet_train_b64 (a whole SGD-momentum
step: zero_grad, forward, backward, update), mlp_infer_b1 (torch.no_grad,
eager and TorchScript traced+frozen; the faster is kept; mlp_infer_b1_eager
times eager alone), gpt_train (examples/tiny_gpt.nn's byte-level transformer:
an AdamW step at batch 16, one sample being one 64-byte window) or
gpt_generate (its forward at batch 1 over a full window, what `nnc generate`
spends per token; eager and TorchScript as mlp_infer_b1). Each case is timed
as nnc bench times nnc: W untimed calls, then up to R timed calls, each phase
stopping after S seconds; median per call. Prints one JSON line per case.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time


def timed(step, warmup, repeat, max_seconds):
    """Median, min and max seconds per call of step() and the count timed."""
    start = time.perf_counter()
    for _ in range(warmup):
        step()
        if max_seconds > 0 and time.perf_counter() - start >= max_seconds:
            break
    times, start = [], time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if max_seconds > 0 and t1 - start >= max_seconds:
            break
    return statistics.median(times), min(times), max(times), len(times)


def openblas_info():
    """Core type and thread count of the OpenBLAS this process loaded.

    The core is what OpenBLAS itself reports, so a forced OPENBLAS_CORETYPE it
    does not know (it then picks a core by CPU features) shows up here under
    another name; run_bench.py's core-type sweep relies on that."""
    try:
        with open("/proc/self/maps") as maps:
            mapped = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return None
    # Debian's LAPACK alternative can load OpenBLAS while the BLAS one still
    # points at the reference BLAS (/usr/lib/<arch>/blas/), whose sgemm then
    # runs: that process is not on OpenBLAS, whatever else it mapped.
    blas = [p for p in mapped if os.path.basename(p).startswith(("libblas.so", "libcblas.so"))]
    if any("openblas" not in p.lower() for p in blas):
        return None
    paths = {p for p in mapped if "openblas" in p.lower()}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return {"library": os.path.basename(path),
                    "core": lib.openblas_get_corename().decode(),
                    "threads": lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return None


def gemm_case(size):
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    c = np.empty_like(a)
    return {"step": lambda: np.matmul(a, b, out=c), "batch": size,
            "flops": 2.0 * size**3, "library": "numpy " + np.__version__}


def mlp():
    from torch import nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet():
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def train_case(model, sample_shape, batch):
    import torch
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(batch, *sample_shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    return {"step": step, "batch": batch, "library": "torch " + torch.__version__}


def eager_and_torchscript(model, example):
    """Batch-1 inference of `model` on `example`, eager and TorchScript
    (traced and frozen); the caller keeps the faster."""
    import torch
    model = model.eval()
    torch.set_grad_enabled(False)
    frozen = torch.jit.freeze(torch.jit.trace(model, example))
    library = "torch " + torch.__version__
    return [{"step": lambda: model(example), "batch": 1, "variant": "eager",
             "library": library},
            {"step": lambda: frozen(example), "batch": 1,
             "variant": "torchscript", "library": library}]


def infer_cases():
    """Batch-1 MLP inference, eager and TorchScript; the caller keeps the faster."""
    import torch
    torch.manual_seed(0)
    model = mlp()
    return eager_and_torchscript(model, torch.rand(1, 784))


# examples/tiny_gpt.nn's shape: 64-byte windows over 256 byte values.
GPT_CONTEXT, GPT_VOCAB = 64, 256


def tiny_gpt():
    """examples/tiny_gpt.nn in PyTorch: weights stored [in, out] and used as
    `x @ w` as the nnc model does, initialised as it does (normal(std=0.02),
    ones and zeros)."""
    import torch
    from torch import nn
    import torch.nn.functional as F
    width, heads, blocks = 128, 4, 4
    head_width = width // heads

    def normal(*shape):
        return nn.Parameter(torch.randn(*shape) * 0.02)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1_gamma = nn.Parameter(torch.ones(width))
            self.ln1_beta = nn.Parameter(torch.zeros(width))
            self.wq, self.wk = normal(width, width), normal(width, width)
            self.wv, self.wo = normal(width, width), normal(width, width)
            self.ln2_gamma = nn.Parameter(torch.ones(width))
            self.ln2_beta = nn.Parameter(torch.zeros(width))
            self.w1, self.b1 = normal(width, 4 * width), nn.Parameter(torch.zeros(4 * width))
            self.w2, self.b2 = normal(4 * width, width), nn.Parameter(torch.zeros(width))
            self.register_buffer(
                "mask", torch.full((GPT_CONTEXT, GPT_CONTEXT), float("-inf")).triu(1))

        def forward(self, h):
            a = F.layer_norm(h, (width,), self.ln1_gamma, self.ln1_beta, eps=1e-5)
            split = (-1, GPT_CONTEXT, heads, head_width)
            q = (a @ self.wq).reshape(split).permute(0, 2, 1, 3)
            k = (a @ self.wk).reshape(split).permute(0, 2, 3, 1)
            v = (a @ self.wv).reshape(split).permute(0, 2, 1, 3)
            # Spelled out as the nnc model has it, so that both sides do the
            # same work (the full 64x64 scores, masked).
            attention = torch.softmax(q @ k * head_width**-0.5 + self.mask, dim=-1)
            joined = (attention @ v).permute(0, 2, 1, 3).reshape(-1, GPT_CONTEXT, width)
            h = h + joined @ self.wo
            m = F.layer_norm(h, (width,), self.ln2_gamma, self.ln2_beta, eps=1e-5)
            return h + F.gelu(m @ self.w1 + self.b1) @ self.w2 + self.b2

    class Gpt(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = normal(GPT_VOCAB, width)
            self.position = normal(GPT_CONTEXT, width)
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.lnf_gamma = nn.Parameter(torch.ones(width))
            self.lnf_beta = nn.Parameter(torch.zeros(width))
            self.head = normal(width, GPT_VOCAB)

        def forward(self, ids):
            h = self.blocks(F.embedding(ids, self.embed) + self.position)
            h = F.layer_norm(h, (width,), self.lnf_gamma, self.lnf_beta, eps=1e-5)
            return h @ self.head

    torch.manual_seed(0)
    return Gpt()


def byte_windows(batch):
    import torch
    return torch.randint(0, GPT_VOCAB, (batch, GPT_CONTEXT))


def gpt_train_case(batch):
    """A step of the nnc model's train block: AdamW(lr 0.002, weight decay
    0.01) on the cross-entropy averaged over every position of every window."""
    import torch
    import torch.nn.functional as F
    model = tiny_gpt()
    opt = torch.optim.AdamW(model.parameters(), lr=0.002, weight_decay=0.01)
    ids, targets = byte_windows(batch), byte_windows(batch)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        F.cross_entropy(logits.reshape(-1, GPT_VOCAB), targets.reshape(-1)).backward()
        opt.step()
    return {"step": step, "batch": batch, "library": "torch " + torch.__version__}


def gpt_generate_cases():
    """What one generated byte costs: the batch-1 forward over a full window,
    as `nnc generate` keeps no KV cache; eager and TorchScript, the caller
    keeps the faster."""
    return eager_and_torchscript(tiny_gpt(), byte_windows(1))


def make_cases(name):
    if name.startswith("gemm_"):
        return [gemm_case(int(name[len("gemm_"):]))]
    if name.startswith("mlp_train_b"):
        return [train_case(mlp(), (784,), int(name[len("mlp_train_b"):]))]
    if name.startswith("lenet_train_b"):
        return [train_case(lenet(), (1, 28, 28), int(name[len("lenet_train_b"):]))]
    if name == "mlp_infer_b1":
        return infer_cases()
    if name == "mlp_infer_b1_eager":  # eager alone (bench/python_overhead.py)
        return infer_cases()[:1]
    if name == "gpt_train":
        return [gpt_train_case(16)]
    if name == "gpt_generate":
        return gpt_generate_cases()
    raise SystemExit(f"peer.py: unknown case '{name}'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--torch-threads", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--max-seconds", type=float, default=2.0)
    args = parser.parse_args()
    if any(not c.startswith("gemm_") for c in args.cases):
        import torch
        torch.set_num_threads(args.torch_threads or os.cpu_count())
    for name in args.cases:
        best = None
        for case in make_cases(name):
            med, lo, hi, runs = timed(case["step"], args.warmup, args.repeat,
                                      args.max_seconds)
            if best is None or med < best["step_ms_median"] / 1e3:
                best = {"case": name, "library": case["library"],
                        "variant": case.get("variant", ""), "batch": case["batch"],
                        "runs": runs, "step_ms_median": med * 1e3,
                        "step_ms_min": lo * 1e3, "step_ms_max": hi * 1e3,
                        "samples_per_s": case["batch"] / med}
                if "flops" in case:
                    best["gflops"] = case["flops"] / med / 1e9
        if "torch" in sys.modules:
            torch = sys.modules["torch"]
            torch.set_grad_enabled(True)  # the inference cases turned it off
            best["torch_threads"] = torch.get_num_threads()
        best["openblas"] = openblas_info()
        print(json.dumps(best), flush=True)


if __name__ == "__main__":
    main()

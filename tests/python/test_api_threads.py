"""The module from several threads: models driven concurrently, parameter
assignment against a run on another thread, and the GIL released while a
model compiles, loads or runs."""

import concurrent.futures
import os
import threading
import time

import numpy as np

import nnc
from conftest import EXAMPLES, run_cli


def test_threads_drive_models_concurrently(digits, mlp_path):
    models = [nnc.compile(mlp_path, backend="cpu", seed=s) for s in (1, 2)]
    batches = [digits[0][i * 16:(i + 1) * 16] for i in range(8)]
    expected = [models[i % 2].run(x=b)["logits"] for i, b in
                enumerate(batches)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda ib: models[ib[0] % 2].run(x=ib[1])[
            "logits"], enumerate(batches)))
    for a, b in zip(got, expected):
        assert a.tobytes() == b.tobytes()


def test_assignment_waits_for_a_run_on_another_thread():
    """Runs see the whole old or the whole new value of a parameter that
    another thread assigns (or loads) meanwhile, never half of each."""
    model = nnc.compile("input x: f32[B, 512]\nparam w: f32[512, 512] = "
                        "zeros\noutput y = x @ w\n", backend="cpu", threads=1)
    x = np.ones((8, 512), np.float32)
    values = [np.zeros((512, 512), np.float32), np.ones((512, 512), np.float32)]
    stop = threading.Event()

    def assign():
        i = 0
        while not stop.is_set():
            model.params["w"] = values[i % 2]
            i += 1

    writer = threading.Thread(target=assign)
    writer.start()
    try:
        for _ in range(300):
            y = model.run(x=x)["y"]
            assert (y == 0).all() or (y == 512).all()
    finally:
        stop.set()
        writer.join()


def ticks_during(calls, trimmed_end):
    """Runs `calls` one after another while a thread ticks every
    millisecond, which it cannot while the calling thread holds the GIL.
    Returns each call's window (its start and end, trimmed by 1 ms and
    `trimmed_end` s) and the ticks that fell inside one."""
    ticks, windows, done = [], [], threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        for call in calls:
            start = time.perf_counter()
            call()
            windows.append((start + 0.001, time.perf_counter() - trimmed_end))
    finally:
        done.set()
        ticker.join()
    inside = [t for t in ticks
              if any(start < t < end for start, end in windows)]
    return windows, inside


def test_other_threads_run_while_a_model_compiles(monkeypatch):
    # A first run at a batch size compiles the tiny GPT's forward function,
    # here without the kernel cache (a tenth of a second or more), then
    # runs it (about a millisecond at these batch sizes, with the GIL
    # released in any case): only the compiling part of each call is
    # looked at.
    monkeypatch.setenv("NNC_NO_CACHE", "1")
    model = nnc.compile(os.path.join(EXAMPLES, "tiny_gpt.nn"), backend="cpu")
    runs = [lambda batch=batch: model.run(ids=np.zeros((batch, 64), np.int32))
            for batch in (1, 2, 3)]
    windows, inside = ticks_during(runs, trimmed_end=0.01)
    assert sum(end - start for start, end in windows) > 0.1, windows
    assert len(inside) >= 20, (windows, len(inside))


def test_other_threads_run_while_a_model_is_compiled_or_loaded(tmp_path):
    # What nnc.compile does without a batch (parse the tiny GPT, lower it,
    # draw its parameters) and what nnc.load does (read and check an
    # artifact and its plugin, copy the weights): a tenth of a second or so
    # each on the machines the tests run on.
    gpt = os.path.join(EXAMPLES, "tiny_gpt.nn")
    artifact = tmp_path / "gpt.nnx"
    run_cli("compile", gpt, "--backend", "cpu", "--batch", "1", "-o",
            str(artifact))
    calls = (lambda: nnc.compile(gpt), lambda: nnc.load(artifact)) * 3
    windows, inside = ticks_during(calls, trimmed_end=0.005)
    held = sum(max(0.0, end - start) for start, end in windows)
    assert held > 0.05, windows
    # A tick every 1 ms when the GIL is free; none while a call holds it.
    assert len(inside) >= held / 0.005, (windows, len(inside))

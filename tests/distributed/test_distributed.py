"""Data-parallel training over Open MPI, on loopback (CTest: distributed).

N ranks at global batch B against one process at batch B, with an uneven
last batch; bit-identical reruns for a fixed N; resuming a checkpoint with
another rank count; a rank killed mid-run; ranks with different models;
buckets filled in any order by two threads;
the profile of a distributed run; nnc.train(distributed=True) from Python.

Environment: NNC (the nnc binary), NNC_EXAMPLES (examples/), NNC_DIST_WORK
(a scratch folder). Skips when mpirun is missing. Runs as root too: the
Open MPI variables that allow it are set for every mpirun.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

NNC = os.environ.get("NNC", "build/bin/nnc")
EXAMPLES = os.environ.get("NNC_EXAMPLES", "examples")
WORK = os.environ.get("NNC_DIST_WORK", "/tmp/nnc-distributed")
MPIRUN = shutil.which("mpirun")

pytestmark = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")

# Parameters of N ranks differ from one process's only by the order of
# summation: relative to each tensor's largest magnitude, after a few
# dozen steps.
TOLERANCE = 1e-4


def mpi_env():
    env = dict(os.environ)
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    # Two cores, up to three ranks.
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    # nnc's own choice of all-reduce, not one left in the environment.
    env.pop("OMPI_MCA_coll_libnbc_iallreduce_algorithm", None)
    return env


def mpirun(ranks, *args, expect=0, timeout=300, mpi_args=()):
    command = [MPIRUN, *mpi_args, "-np", str(ranks), NNC, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=timeout)
    if expect is not None:
        assert done.returncode == expect, \
            f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def nnc(*args, expect=0):
    done = subprocess.run([NNC, *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == expect, done.stderr
    return done


@pytest.fixture(scope="module")
def work():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    return WORK


@pytest.fixture(scope="module")
def digits(work):
    """203 digits: batch 32 leaves a last batch of 11, which 2 and 3 ranks
    split unevenly (6/5 and 4/4/3)."""
    x = np.load(os.path.join(EXAMPLES, "data", "digits_train_x.npy"))[:203]
    y = np.load(os.path.join(EXAMPLES, "data", "digits_train_y.npy"))[:203]
    paths = (os.path.join(work, "x.npy"), os.path.join(work, "y.npy"))
    np.save(paths[0], x)
    np.save(paths[1], y)
    return ["--data", "x=" + paths[0], "--data", "labels=" + paths[1]]


@pytest.fixture(scope="module")
def images(work):
    """LeNet's 28x28 inputs: the 8x8 digits, scaled up, 70 of them: batch
    16 leaves 6."""
    x = np.load(os.path.join(EXAMPLES, "data", "digits_train_x.npy"))[:70]
    y = np.load(os.path.join(EXAMPLES, "data", "digits_train_y.npy"))[:70]
    big = np.kron(x.reshape(-1, 1, 8, 8), np.ones((1, 1, 3, 3), np.float32))
    big = np.pad(big, ((0, 0), (0, 0), (2, 2), (2, 2))).astype(np.float32)
    paths = (os.path.join(work, "images.npy"), os.path.join(work, "labels.npy"))
    np.save(paths[0], big)
    np.save(paths[1], y)
    return ["--data", "images=" + paths[0], "--data", "labels=" + paths[1]]


def load_params(folder):
    return {os.path.basename(p)[:-4]: np.load(p)
            for p in glob.glob(os.path.join(folder, "*.npy"))}


def assert_close(expected_dir, actual_dir, tolerance=TOLERANCE):
    expected, actual = load_params(expected_dir), load_params(actual_dir)
    assert expected and set(expected) == set(actual)
    for name, want in expected.items():
        scale = max(float(np.abs(want).max()), 1e-6)
        err = float(np.abs(want - actual[name]).max()) / scale
        assert err <= tolerance, f"{name}: relative difference {err:.3g}"


def write_model(work, name, source):
    """Writes `source` to WORK/NAME and returns the path."""
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(source)
    return path


def train_args(model, data, epochs, batch, save):
    return ["train", os.path.join(EXAMPLES, model), *data,
            "--epochs", epochs, "--batch", batch, "--threads", 1,
            "--save", save]


@pytest.mark.parametrize("model,fixture,epochs,batch", [
    ("mlp_digits.nn", "digits", 3, 32),
    ("lenet.nn", "images", 2, 16),
])
def test_ranks_match_one_process(request, work, model, fixture, epochs, batch):
    data = request.getfixturevalue(fixture)
    base = os.path.join(work, model + ".1")
    nnc(*train_args(model, data, epochs, batch, base))
    for ranks in (2, 3):
        out = os.path.join(work, f"{model}.{ranks}")
        done = mpirun(ranks, *train_args(model, data, epochs, batch, out),
                      "--distributed")
        assert f"distributed: {ranks} ranks, ring all-reduce" in done.stdout
        # Rank 0 alone says what opening the model said.
        assert done.stderr.count("backend: cpu") == 1, done.stderr
        assert_close(base, out)


def test_a_fixed_rank_count_is_bit_identical(work, digits):
    runs = []
    for attempt in range(2):
        out = os.path.join(work, f"repeat.{attempt}")
        mpirun(2, *train_args("mlp_digits.nn", digits, 2, 32, out),
               "--distributed")
        runs.append(load_params(out))
    for name in runs[0]:
        assert np.array_equal(runs[0][name], runs[1][name]), name


def test_the_profile_shows_rank_0s_two_graphs(work, digits):
    """--profile with --distributed: the kernels of rank 0's gradient step
    at its shard of a full batch (6 of the 7 batches of 203 samples, the
    last holds 11) and of every update, after the communication line; the
    trained parameters are the same bits as without it."""
    plain, profiled = (os.path.join(work, name) for name in ("plain", "profiled"))
    mpirun(2, *train_args("mlp_digits.nn", digits, 1, 32, plain), "--distributed")
    done = mpirun(2, *train_args("mlp_digits.nn", digits, 1, 32, profiled),
                  "--distributed", "--profile")
    out = done.stdout
    grads = out.index("profile of the gradient steps of 16 samples "
                      "(rank 0's shard of each batch of 32)")
    update = out.index("profile of the optimizer updates")
    assert out.index("distributed: 2 ranks, ring") < grads < update, out
    assert "\n6 steps on 1 thread" in out[grads:update], out
    assert "\n7 steps on 1 thread" in out[update:], out
    assert out.count("profile of") == 2, out
    expected, actual = load_params(plain), load_params(profiled)
    for name in expected:
        assert np.array_equal(expected[name], actual[name]), name


def test_small_buckets_on_two_threads_match_one_process(work, digits):
    """A bucket per gradient, filled by two threads per rank in whatever
    order their kernels finish: every rank all-reduces them in the same
    order, so the job neither hangs nor mixes buckets up."""
    base = os.path.join(work, "buckets.1")
    nnc(*train_args("mlp_digits.nn", digits, 2, 32, base))
    out = os.path.join(work, "buckets.2")
    args = train_args("mlp_digits.nn", digits, 2, 32, out)
    args[args.index("--threads") + 1] = 2
    done = mpirun(2, *args, "--distributed", "--bucket-mb", 0.0001)
    assert "4.0 buckets" in done.stdout, done.stdout
    assert_close(base, out)


PYTHON = os.environ.get("NNC_PYTHON", "/usr/bin/python3")
PYTHONPATH = os.environ.get("NNC_PYTHONPATH", "build/python")

# Trains as the test below asks, and saves what rank R returned under
# OUT.R: the parameters, and how many epochs of history it got.
PYTHON_RANK = """
import os, sys
import numpy as np
import nnc
model, x, y, out = sys.argv[1:5]
history = nnc.train(model, data={"x": np.load(x), "labels": np.load(y)},
                    epochs=2, batch=32, threads=1, distributed=True)
rank = os.environ["OMPI_COMM_WORLD_RANK"]
os.makedirs(out + "." + rank)
for name, value in history.params.items():
    np.save(os.path.join(out + "." + rank, name + ".npy"), value)
# One write: the ranks share mpirun's output, and separate writes interleave.
sys.stdout.write(f"rank {rank} history {len(history)}\\n")
sys.stdout.flush()
"""


# Rank 1's gradient hook raises at its third step.
RAISING_RANK = """
import os, sys
import numpy as np
import nnc
model, x, y = sys.argv[1:4]
rank = os.environ["OMPI_COMM_WORLD_RANK"]

def hook(step, grads):
    if rank == "1" and step == 2:
        raise RuntimeError("boom on rank 1")

nnc.train(model, data={"x": np.load(x), "labels": np.load(y)}, epochs=1,
          batch=32, threads=1, distributed=True, after_gradients=hook)
"""

def test_python_ranks_train_as_the_command(work, digits):
    """nnc.train(distributed=True) under mpirun: the same step as `nnc train
    --distributed`, so the same bits, on every rank; rank 0 alone reports."""
    if not os.path.isdir(os.path.join(PYTHONPATH, "nnc")):
        pytest.skip("the Python module is not built")
    cli = os.path.join(work, "python.cli")
    mpirun(2, *train_args("mlp_digits.nn", digits, 2, 32, cli), "--distributed")
    script = os.path.join(work, "python_rank.py")
    with open(script, "w") as f:
        f.write(PYTHON_RANK)
    out = os.path.join(work, "python.rank")
    x, y = digits[1].split("=", 1)[1], digits[3].split("=", 1)[1]
    env = mpi_env()
    env["PYTHONPATH"] = PYTHONPATH
    done = subprocess.run(
        [MPIRUN, "-np", "2", PYTHON, script,
         os.path.join(EXAMPLES, "mlp_digits.nn"), x, y, out],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rank 0 history 2" in done.stdout, done.stdout
    assert "rank 1 history 0" in done.stdout, done.stdout
    expected = load_params(cli)
    for rank in (0, 1):
        got = load_params(f"{out}.{rank}")
        assert set(got) >= set(expected)
        for name in expected:
            assert got[name].tobytes() == expected[name].tobytes(), (rank, name)


def test_the_scaling_benchmark_reads_the_communication_line(work, digits):
    """bench/distributed_scaling.py reports nnc's all-reduce and waiting
    time from the line a distributed run prints; a change of wording
    there must not leave its table blank."""
    import importlib.util
    import sys
    bench = os.path.join(os.path.dirname(os.path.abspath(EXAMPLES)), "bench")
    spec = importlib.util.spec_from_file_location(
        "distributed_scaling", os.path.join(bench, "distributed_scaling.py"))
    scaling = importlib.util.module_from_spec(spec)
    # It imports its neighbour machine.py, which must not stay importable
    # under that generic name.
    sys.path.insert(0, bench)
    try:
        spec.loader.exec_module(scaling)
    finally:
        sys.path.remove(bench)
        sys.modules.pop("machine", None)
    out = os.path.join(work, "comm-line")
    done = mpirun(2, *train_args("mlp_digits.nn", digits, 1, 32, out),
                  "--distributed")
    line = next(l for l in done.stdout.splitlines()
                if l.startswith("distributed: ") and "all-reduced per step" in l)
    reduce_ms, waited_ms = scaling.comm_figures(line)
    assert reduce_ms is not None and reduce_ms > 0, line
    assert waited_ms is not None and 0 <= waited_ms, line


def test_an_all_reduce_algorithm_given_to_mpirun_is_kept(work, digits):
    out = os.path.join(work, "tree")
    done = mpirun(2, *train_args("mlp_digits.nn", digits, 1, 32, out),
                  "--distributed",
                  mpi_args=("--mca", "coll_libnbc_iallreduce_algorithm", "2"))
    assert "distributed: 2 ranks, binomial-tree all-reduce" in done.stdout


def test_resume_with_another_rank_count(work, digits):
    straight = os.path.join(work, "straight")
    nnc(*train_args("mlp_digits.nn", digits, 2, 32, straight))
    checkpoint = os.path.join(work, "checkpoint")
    # Two ranks stop mid-epoch (7 steps make an epoch here); three finish.
    mpirun(2, *train_args("mlp_digits.nn", digits, 2, 32,
                          os.path.join(work, "unused")),
           "--distributed", "--checkpoint", checkpoint, "--max-steps", 9)
    resumed = os.path.join(work, "resumed")
    done = mpirun(3, *train_args("mlp_digits.nn", digits, 2, 32, resumed),
                  "--distributed", "--resume", checkpoint)
    assert "epoch 2/2" in done.stdout
    assert_close(straight, resumed)


def launcher_rank(pid):
    """The rank mpirun gave process `pid`, from its environment."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        for entry in f.read().split(b"\0"):
            if entry.startswith(b"OMPI_COMM_WORLD_RANK="):
                return entry.split(b"=", 1)[1].decode()
    return None


def start_endless_job(digits, save, checkpoint, *flags):
    """Starts a 2-rank run that would train for ever, saving to `save`,
    and returns it once its first checkpoint is written, with the ranks'
    pids by rank ("0", "1")."""
    command = [MPIRUN, "-np", "2", NNC,
               *map(str, train_args("mlp_digits.nn", digits, 100000, 32, save)),
               "--distributed", "--checkpoint", checkpoint, *flags]
    job = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=mpi_env())
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(checkpoint, "state.json")):
        assert time.time() < deadline and job.poll() is None, "no checkpoint"
        time.sleep(0.1)
    pids = subprocess.run(["pgrep", "-f", save], capture_output=True,
                          text=True).stdout.split()
    ranks = {launcher_rank(int(p)): int(p) for p in pids if int(p) != job.pid}
    assert set(ranks) == {"0", "1"}, ranks
    return job, ranks


def test_a_killed_rank_ends_the_job_and_keeps_the_checkpoint(work, digits):
    checkpoint = os.path.join(work, "killed-checkpoint")
    job, ranks = start_endless_job(digits, os.path.join(work, "killed-run"),
                                   checkpoint, "--checkpoint-every", "5")
    time.sleep(0.5)
    os.kill(ranks["1"], signal.SIGKILL)
    output, _ = job.communicate(timeout=120)
    assert job.returncode != 0, output
    assert "error: rank" in output, output
    # The last complete checkpoint loads and continues.
    nnc("train", os.path.join(EXAMPLES, "mlp_digits.nn"), *digits,
        "--epochs", 100000, "--batch", 32, "--threads", 1,
        "--resume", checkpoint, "--max-steps", 1)


def stop_job_with_usr1(work, digits, name, signal_rank):
    """Starts an endless 2-rank run, sends SIGUSR1 to mpirun (which
    forwards it to every rank) or to rank 1 alone, and returns mpirun's
    exit code, output and the folders of its --save and --checkpoint."""
    save = os.path.join(work, name + "-save")
    checkpoint = os.path.join(work, name + "-checkpoint")
    job, ranks = start_endless_job(digits, save, checkpoint)
    if signal_rank:
        os.kill(ranks["1"], signal.SIGUSR1)
    else:
        job.send_signal(signal.SIGUSR1)
    output, _ = job.communicate(timeout=120)
    return job.returncode, output, save, checkpoint


@pytest.mark.parametrize("signal_rank", [False, True],
                         ids=["mpirun", "rank-1-alone"])
def test_sigusr1_stops_every_rank_after_the_same_step(work, digits,
                                                      signal_rank):
    """The ranks agree on the step to stop after, even when only one of
    them was signalled: what they save is bitwise what a run told to stop
    there with --max-steps saves, and the checkpoint resumes."""
    name = "usr1-rank" if signal_rank else "usr1"
    code, output, save, checkpoint = stop_job_with_usr1(work, digits, name,
                                                        signal_rank)
    # Rank 0 reports the job's stop, whichever rank caught the signal.
    assert code == 128 + signal.SIGUSR1, output
    match = re.search(r"stopped after (\d+) steps; resume with --resume "
                      + re.escape(checkpoint), output)
    assert match, output
    steps = int(match.group(1))
    planned = os.path.join(work, name + "-planned")
    mpirun(2, *train_args("mlp_digits.nn", digits, 100000, 32, planned),
           "--distributed", "--max-steps", steps)
    stopped, straight = load_params(save), load_params(planned)
    assert stopped and set(stopped) == set(straight)
    for key in straight:
        assert np.array_equal(stopped[key], straight[key]), key
    done = nnc("train", os.path.join(EXAMPLES, "mlp_digits.nn"), *digits,
               "--epochs", 100000, "--batch", 32, "--threads", 1,
               "--resume", checkpoint, "--max-steps", steps + 1)
    assert f"stopped after {steps + 1} steps" in done.stdout


def test_ranks_with_different_models_are_refused(work, digits):
    other = os.path.join(work, "other.nn")
    with open(os.path.join(EXAMPLES, "mlp_digits.nn")) as f:
        source = f.read()
    with open(other, "w") as f:
        f.write(source.replace("f32[64, 128]", "f32[64, 96]")
                      .replace("f32[128]", "f32[96]")
                      .replace("f32[128, 10]", "f32[96, 10]"))
    first = train_args("mlp_digits.nn", digits, 1, 32, os.path.join(work, "a"))
    second = train_args("mlp_digits.nn", digits, 1, 32, os.path.join(work, "b"))
    second[1] = other
    command = [MPIRUN, "-np", "1", NNC, *map(str, first), "--distributed", ":",
               "-np", "1", NNC, *map(str, second), "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [l for l in done.stderr.splitlines() if "rank 1 trains another" in l]
    # Every rank says so, naming the rank that differs.
    assert any(l.startswith("error: rank 0:") for l in lines), done.stderr
    assert any(l.startswith("error: rank 1:") for l in lines), done.stderr


def test_data_flags_in_another_order_are_the_same_job(work, digits):
    """Columns are matched by name, so their order on the command line is
    no difference between ranks; nor is a --comm-timeout too long for the
    clock's nanoseconds, which means no timeout."""
    first = train_args("mlp_digits.nn", digits, 1, 32, os.path.join(work, "order"))
    second = [*first[:2], *digits[2:], *digits[:2], *first[2 + len(digits):]]
    assert second != first and sorted(map(str, second)) == sorted(map(str, first))
    command = [MPIRUN, "-np", "1", NNC, *map(str, first), "--distributed",
               "--comm-timeout", "1e12", ":", "-np", "1", NNC,
               *map(str, second), "--distributed", "--comm-timeout", "1e12"]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_data_file_missing_on_one_rank_names_that_rank(work, digits):
    """A rank meets it before the ranks join, on its own: its line says
    which rank (which machine) lacks the file."""
    first = train_args("mlp_digits.nn", digits, 1, 32, os.path.join(work, "gone"))
    missing = os.path.join(work, "not-here.npy")
    second = [a.replace(digits[1], "x=" + missing) for a in map(str, first)]
    command = [MPIRUN, "-np", "1", NNC, *map(str, first), "--distributed",
               "--comm-timeout", "20", ":", "-np", "1", NNC, *second,
               "--distributed", "--comm-timeout", "20"]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=120)
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"error: rank 1: {missing}: no such file or directory" \
        in done.stderr, done.stderr


@pytest.mark.parametrize("setting", [["--schedule", "cosine"],
                                     ["--max-steps", "5"], ["--drop-last"]])
def test_ranks_with_other_schedules_or_stops_are_refused(work, digits,
                                                         setting):
    """A schedule changes every update and --max-steps where a rank stops:
    ranks that disagree would drift apart, or wait for one another (one
    training the short last batch that the other drops)."""
    first = train_args("mlp_digits.nn", digits, 1, 32, os.path.join(work, "a"))
    second = [*first, *setting]
    command = [MPIRUN, "-np", "1", NNC, *map(str, first), "--distributed", ":",
               "-np", "1", NNC, *map(str, second), "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: rank 0: rank 1 trains another model, data or settings" \
        in done.stderr, done.stderr


def test_a_python_callback_that_raises_names_its_rank_and_exception(work,
                                                                    digits):
    if not os.path.isdir(os.path.join(PYTHONPATH, "nnc")):
        pytest.skip("the Python module is not built")
    script = os.path.join(work, "raising_rank.py")
    with open(script, "w") as f:
        f.write(RAISING_RANK)
    x, y = digits[1].split("=", 1)[1], digits[3].split("=", 1)[1]
    env = mpi_env()
    env["PYTHONPATH"] = PYTHONPATH
    done = subprocess.run(
        [MPIRUN, "-np", "2", PYTHON, script,
         os.path.join(EXAMPLES, "mlp_digits.nn"), x, y],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode != 0, done.stdout + done.stderr
    assert ("error: rank 1: after_gradients raised RuntimeError: boom on "
            "rank 1") in done.stderr, done.stderr


def test_a_rank_that_never_joins_ends_the_job_after_the_timeout(work, digits):
    """MPI_Init waits for every rank; a rank that never starts must not
    hold the others for ever."""
    args = [*map(str, train_args("mlp_digits.nn", digits, 1, 32,
                                 os.path.join(work, "never"))),
            "--distributed", "--comm-timeout", "2"]
    late = "sleep 60; exec " + " ".join([NNC, *args])
    command = [MPIRUN, "-np", "1", NNC, *args, ":", "-np", "1", "sh", "-c",
               late]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=50)
    assert done.returncode != 0, done.stdout + done.stderr
    assert ("error: rank 0: the job did not start within 2 s "
            "(--comm-timeout)") in done.stderr, done.stderr


def test_accumulation_matches_a_larger_batch(work, digits):
    """--accumulate 2 at batch 16 is one optimizer step per 32 samples: the
    same training as batch 32, in one process and over two ranks."""
    larger = os.path.join(work, "batch32")
    nnc(*train_args("mlp_digits.nn", digits, 3, 32, larger))
    alone = os.path.join(work, "accumulated")
    nnc(*train_args("mlp_digits.nn", digits, 3, 16, alone), "--accumulate", 2)
    assert_close(larger, alone)
    spread = os.path.join(work, "accumulated-ranks")
    mpirun(2, *train_args("mlp_digits.nn", digits, 3, 16, spread),
           "--accumulate", 2, "--distributed")
    assert_close(larger, spread)


def test_padding_spread_unevenly_over_ranks_trains_as_one_process(work):
    """A cross-entropy with ignore_index is the mean over its scored
    positions: ranks whose shares score 1 and 8 positions are weighted so,
    not by their equal samples (25% of the update off before)."""
    model = write_model(
        work, "padded.nn",
        "model padded\ninput ids: i32[B, 4]\ninput targets: i32[B, 4]\n"
        "param e: f32[16, 16] = normal(std=1)\n"
        "output logits = embedding(e, ids)\n"
        "loss = softmax_cross_entropy(logits, targets, ignore_index=7)\n")
    ids = np.arange(16, dtype=np.int32).reshape(4, 4)
    targets = np.array([[7, 7, 7, 1], [7, 7, 7, 7], [2, 3, 4, 5],
                        [6, 8, 9, 10]], dtype=np.int32)
    np.save(os.path.join(work, "padded_ids.npy"), ids)
    np.save(os.path.join(work, "padded_targets.npy"), targets)
    args = lambda save: [
        "train", model, "--data", f"ids={os.path.join(work, 'padded_ids.npy')}",
        "--data", f"targets={os.path.join(work, 'padded_targets.npy')}",
        "--epochs", 3, "--batch", 4, "--no-shuffle", "--optimizer", "sgd",
        "--lr", 1, "--threads", 1, "--save", save]
    alone = os.path.join(work, "padded-1")
    nnc(*args(alone))
    spread = os.path.join(work, "padded-2")
    mpirun(2, *args(spread), "--distributed")
    assert_close(alone, spread)


def test_a_failure_of_rank_0_alone_ends_the_job_at_once(work, digits):
    """A path only rank 0 writes fails on rank 0 alone: the job used to
    wait for the other ranks' --comm-timeout (300 s by default), which
    then blamed a rank that died."""
    started = time.time()
    done = mpirun(2, *train_args("mlp_digits.nn", digits, 1, 32,
                                 "/etc/hostname/params"),
                  "--distributed", expect=1, timeout=120)
    assert time.time() - started < 60
    assert "error: rank 0: cannot write '/etc/hostname/params'" in done.stderr, \
        done.stderr
    assert "a rank died or hangs" not in done.stderr, done.stderr


def test_a_rank_started_without_resume_takes_rank_0s_shuffling(work, digits):
    """Rank 0 shares where the run stands, the shuffling seed included: a
    rank started without --resume shuffled with seed 0, training on other
    samples (25% off), exit 0."""
    args = lambda save: [*train_args("mlp_digits.nn", digits, 2, 37, save),
                         "--seed", 3]
    straight = os.path.join(work, "seeded-straight")
    nnc(*args(straight))
    checkpoint = os.path.join(work, "seeded-checkpoint")
    nnc(*args(os.path.join(work, "unused")), "--checkpoint", checkpoint,
        "--max-steps", 6)
    resumed = os.path.join(work, "seeded-resumed")
    command = [MPIRUN, "-np", "1", NNC, *map(str, args(resumed)),
               "--distributed", "--resume", checkpoint, ":", "-np", "1", NNC,
               *map(str, args(os.path.join(work, "unused"))), "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_close(straight, resumed)


def test_a_batch_norm_share_of_one_sample_is_refused_up_front(work, digits):
    """203 samples at batch 67 leave a last batch of 2, one sample for each
    of 2 ranks: batch norm failed to compile at the epoch's end."""
    done = mpirun(2, "train", os.path.join(EXAMPLES, "resnet_mlp.nn"), *digits,
                  "--epochs", 1, "--batch", 67, "--threads", 1,
                  "--distributed", expect=2)
    assert "2 ranks share the last batch of 2 samples (203 samples at " \
        "--batch 67), leaving a rank one sample" in done.stderr, done.stderr
    assert "or --drop-last" in done.stderr, done.stderr
    assert "epoch 1" not in done.stdout, done.stdout
    # Dropped, that batch is no one's share.
    done = mpirun(2, "train", os.path.join(EXAMPLES, "resnet_mlp.nn"), *digits,
                  "--epochs", 1, "--batch", 67, "--threads", 1, "--drop-last",
                  "--distributed", expect=0)
    assert "epoch 1/1 done 201 samples" in done.stdout, done.stdout


def test_a_batch_norm_share_of_one_left_by_a_resume_is_refused_up_front(
        work, digits):
    """Resumed at sample 64 of 203 at --batch 17, the epoch ends with a
    batch of 3, 2 and 1 on 2 ranks: it failed to compile after the epoch's
    work, where one process checks before the first step."""
    model = os.path.join(EXAMPLES, "resnet_mlp.nn")
    checkpoint = os.path.join(work, "bn-resume")
    mpirun(2, "train", model, *digits, "--epochs", 2, "--batch", 32,
           "--max-steps", 2, "--threads", 1, "--checkpoint", checkpoint,
           "--distributed")
    done = mpirun(2, "train", model, *digits, "--resume", checkpoint,
                  "--batch", 17, "--threads", 1, "--distributed", expect=2)
    assert "2 ranks share the last batch of the epoch resumed of 3 samples " \
        "(139 samples left at --batch 17), leaving a rank one sample" \
        in done.stderr, done.stderr
    assert "step" not in done.stdout, done.stdout


def test_ranks_at_other_batch_sizes_are_refused_before_any_other_check(
        work, digits):
    """Rank 1's batch of 3 leaves its batch norm a share of one: that
    check ran first, on rank 1 alone, and rank 0 waited for the timeout."""
    model = os.path.join(EXAMPLES, "resnet_mlp.nn")
    args = lambda batch: [NNC, "train", model, *digits, "--epochs", 1,
                          "--threads", 1, "--batch", batch, "--distributed",
                          "--comm-timeout", 60]
    command = [MPIRUN, "-np", "1", *map(str, args(32)), ":", "-np", "1",
               *map(str, args(3))]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rank 1 trains another model, data or settings" in done.stderr, \
        done.stderr
    assert time.monotonic() - start < 50, "waited for --comm-timeout"


def test_ranks_with_other_inputs_without_the_batch_dimension_are_refused(
        work, digits):
    """A mask every rank reads whole is part of the job: ranks given
    different ones trained different models, exit 0."""
    model = write_model(
        work, "masked.nn",
        "model masked\ninput x: f32[B, 64]\ninput labels: i32[B]\n"
        "input scale: f32[64]\nparam w: f32[64, 10] = glorot\n"
        "let logits = (x * scale) @ w\noutput logits\n"
        "loss = softmax_cross_entropy(logits, labels)\n")
    scales = []
    for value in (1, 0):
        scales.append(os.path.join(work, f"scale{value}.npy"))
        np.save(scales[-1], np.full(64, value, np.float32))
    args = lambda scale: [NNC, "train", model, *digits, "--epochs", 1,
                          "--threads", 1, "--data", "scale=" + scale,
                          "--distributed"]
    command = [MPIRUN, "-np", "1", *map(str, args(scales[0])), ":", "-np",
               "1", *map(str, args(scales[1]))]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rank 1 trains another model, data or settings" in done.stderr, \
        done.stderr


def test_a_rank_given_resume_starts_afresh_with_rank_0(work, digits):
    """Rank 0 shares its start, no position included: a rank given --resume
    kept its checkpoint's position, trained other batches than rank 0 and
    waited in an all-reduce rank 0 never made."""
    args = lambda save: [*train_args("mlp_digits.nn", digits, 2, 32, save),
                         "--lr", 0.01, "--comm-timeout", 60]
    checkpoint = os.path.join(work, "resume-one-rank")
    mpirun(2, *args(os.path.join(work, "unused")), "--checkpoint", checkpoint,
           "--max-steps", 3, "--distributed")
    straight = os.path.join(work, "afresh-straight")
    mpirun(2, *args(straight), "--distributed")
    mixed = os.path.join(work, "afresh-mixed")
    command = [MPIRUN, "-np", "1", NNC, *map(str, args(mixed)),
               "--distributed", ":", "-np", "1", NNC,
               *map(str, args(os.path.join(work, "unused"))), "--distributed",
               "--resume", checkpoint]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=mpi_env(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("w1", "b1", "w2", "b2"):
        expected = np.load(os.path.join(straight, name + ".npy"))
        actual = np.load(os.path.join(mixed, name + ".npy"))
        assert expected.tobytes() == actual.tobytes(), name

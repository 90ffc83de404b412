"""Data-parallel training with ``accelerate=`` in two CPU processes.

``tests/_accelerate_script.py`` fits a tiny :class:`SequentialRecommender` (full
softmax loss, early stopping) and a tiny :class:`CausalLMTransformer`, once in
one process without Accelerate (batch ``2b``) and once started by ``accelerate
launch --multi_gpu --num_processes 2`` with ``accelerate={"cpu": True}`` (two
processes on the CPU, DistributedDataParallel over gloo, batch ``b`` per
process). Both runs take the same optimizer steps of the same ``2b`` samples:
Accelerate hands the two halves of each batch of the serial run's shuffle to
the two processes, and each process of :class:`CausalLMTransformer` draws the
serial run's random windows, ``b`` at a time, and keeps every other batch. The
tests check that

(a) training ran data-parallel: each process trained on its own half of every
    epoch's rows (together exactly the serial run's rows), in the serial run's
    number of steps;
(b) the two processes end in sync: identical weights, histories, predictions;
(c) the result is the serial fit's, up to floating-point summation order.

Tolerance of (c). Each half batch holds the same number of targets (every
training row of the data fills its whole window with targets), so the
mean of the two processes' gradients is the gradient of the whole batch; the
learning-rate schedule and early stopping see the same steps and losses. What
differs is the order of floating-point sums (split matrix products, gloo's
all-reduce), ~1e-7 relative per step. Measured over the 13 epochs (52 steps)
of :class:`SequentialRecommender` and the 12 steps of
:class:`CausalLMTransformer`: loss curves within 1.5e-7 relative (validation
loss 7e-7), hidden states and scores within 1.5e-5 (of values up to 7),
next-token probabilities within 1.3e-8, the same top-5 items. The tolerances
below (loss curves 1e-4 relative, outputs 1e-3 absolute, top-5 items equal)
leave two orders of magnitude of margin, and are still two orders of magnitude
below what a real fault does to this run: a learning-rate schedule stepped
once per optimizer step instead of once per process and step (loss curves off
by 2.2% and 3.4%, hidden states by 0.8, a fifth of the top-5 items changed), or
both processes training on the same windows instead of on halves (loss curve
off by 3.6%). Raw weights are not compared with the serial fit: the
attention's key bias has no effect on the output (softmax ignores a shift
shared by all keys), so its gradient is rounding noise, which Adam turns into
steps of the size of the learning rate; it ends up to 0.14 away, without
consequence.

The test takes about 30 s of CPU (a minute of wall time on a busy 2-core
machine). It needs ``accelerate`` and torch's gloo backend and is skipped
without them (and on Windows).
"""

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("accelerate")
psutil = pytest.importorskip("psutil")  # a dependency of accelerate
torch = pytest.importorskip("torch")

if sys.platform == "win32":
    pytest.skip("gloo on the CPU is tested on POSIX systems", allow_module_level=True)
if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

SCRIPT = Path(__file__).with_name("_accelerate_script.py")
BATCH_SIZE = 16  # the serial run's; each of the two processes takes 8
N_PROCESSES = 2
TIMEOUT = 300  # (a process waiting for the other one fails after 60 s)

LOSS_RTOL = 1e-4
OUTPUT_ATOL = 1e-3


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args, env, log):
    """Run a command, output to ``log``; on a timeout, kill it and every
    process under it (torch's launcher starts its workers in sessions of their
    own) and fail."""
    with open(log, "w") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            tree = [process, *psutil.Process(process.pid).children(recursive=True)]
            for child in tree:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            process.wait()
            pytest.fail(f"did not end in {TIMEOUT} s: {' '.join(args)}\n{_tail(log)}")
    assert process.returncode == 0, f"{' '.join(args)}\n{_tail(log)}"


def _tail(log, n=6000):
    return Path(log).read_text()[-n:]


def _load(folder):
    return [dict(np.load(path)) for path in sorted(folder.glob("rank*.npz"))]


@pytest.fixture(scope="module", params=["sequential", "causal_lm"])
def runs(request, tmp_path_factory):
    """``(serial, [process 0, process 1])`` results of one model."""
    name = request.param
    tmp = tmp_path_factory.mktemp(name)
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",  # the CPU, on a machine with GPUs too
        "OMP_NUM_THREADS": "1",
        "HF_HOME": str(tmp / "hf"),  # no user's accelerate config file
        "PYTHONWARNINGS": "ignore",
    }
    serial = tmp / "serial"
    _run(
        [
            sys.executable,
            str(SCRIPT),
            name,
            str(serial),
            "--batch-size",
            str(BATCH_SIZE),
        ],
        env,
        tmp / "serial.log",
    )
    parallel = tmp / "parallel"
    launch = [sys.executable, "-m", "accelerate.commands.launch"]
    _run(
        [
            *launch,
            "--multi_gpu",
            "--num_processes", str(N_PROCESSES),
            "--num_machines", "1",
            "--mixed_precision", "no",
            "--dynamo_backend", "no",
            "--main_process_port", str(_free_port()),
            str(SCRIPT), name, str(parallel),
            "--batch-size", str(BATCH_SIZE // N_PROCESSES),
            "--accelerate",
        ],
        env,
        tmp / "parallel.log",
    )  # fmt: skip
    (one,) = _load(serial)
    processes = _load(parallel)
    assert [int(p["rank"]) for p in processes] == list(range(N_PROCESSES))
    return one, processes


def _sorted_rows(rows):
    return rows[np.lexsort(rows.T[::-1])]


def test_training_is_data_parallel(runs):
    serial, processes = runs
    assert int(serial["num_processes"]) == 1
    n_epochs = int(serial["n_iter"])
    for process in processes:
        assert int(process["num_processes"]) == N_PROCESSES
        assert int(process["n_iter"]) == n_epochs
        # As many steps as the serial run, on half as many samples each.
        np.testing.assert_array_equal(
            process["batches_per_epoch"], serial["batches_per_epoch"]
        )
        np.testing.assert_array_equal(
            process["samples_per_epoch"] * N_PROCESSES, serial["samples_per_epoch"]
        )
        # The module is unwrapped (no DistributedDataParallel) after fit.
        assert "Distributed" not in str(process["module_class"])
    for epoch in range(1, n_epochs + 1):
        shares = [p["seen_rows"][p["seen_epochs"] == epoch] for p in processes]
        assert len(shares[0]) == len(shares[1]) > 0
        # The halves differ, and together they are the serial run's epoch.
        assert not np.array_equal(_sorted_rows(shares[0]), _sorted_rows(shares[1]))
        expected = serial["seen_rows"][serial["seen_epochs"] == epoch]
        np.testing.assert_array_equal(
            _sorted_rows(np.concatenate(shares)), _sorted_rows(expected)
        )


def test_processes_end_in_sync(runs):
    _, (first, second) = runs
    assert first.keys() == second.keys()
    for key in first:
        if key in ("rank", "seen_rows", "seen_epochs"):
            continue
        # Bitwise: DDP averages the gradients, every process takes the same
        # steps; losses are averaged over the processes before they are
        # recorded, so that the histories (and early stopping) agree too.
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    for key in first:
        if key.startswith("pickled:"):
            np.testing.assert_array_equal(
                first[key], first["pred:" + key.split(":", 1)[1]], err_msg=key
            )


def test_matches_the_serial_fit(runs):
    serial, (first, _) = runs
    assert int(first["n_iter"]) == int(serial["n_iter"])
    validation = serial["validation_loss_curve"]
    if len(validation):  # early stopping restored an earlier epoch than the last
        assert np.argmin(validation) < len(validation) - 1
    for key in ("loss_curve", "validation_loss_curve"):
        np.testing.assert_allclose(first[key], serial[key], rtol=LOSS_RTOL, err_msg=key)
    for key in serial:
        if key == "pred:top5":
            np.testing.assert_array_equal(first[key], serial[key])
        elif key.startswith("pred:"):
            np.testing.assert_allclose(
                first[key], serial[key], rtol=0, atol=OUTPUT_ATOL, err_msg=key
            )

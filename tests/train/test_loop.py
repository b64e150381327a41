"""The tape loop: exact SGD against a NumPy reference, learning on MNIST, a clear NaN error, checkpoints and logs."""

import dataclasses
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.support.helpers import user_env
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.train import config, data
from tfjs_bridge.train.loop import QUIET, FitOptions, TrainingError, fit
from tfjs_bridge.train.tasks import LINEAR, MLP


def numpy_sgd_linear(x, y, lr, steps):
    """Reference: full-batch gradient descent on mean squared error, from zeros."""
    w, b = np.zeros((x.shape[1], 1)), 0.0
    for _ in range(steps):
        err = x @ w + b - y
        w -= lr * 2 * x.T @ err / len(x)
        b -= lr * 2 * err.mean()
    return w, b


def test_linear_tape_loop_matches_numpy_gradient_descent():
    split = data.load_linear()
    cfg = dataclasses.replace(config.DEFAULTS["linear"], epochs=25)  # one full-batch step per epoch
    model = LINEAR.build()
    history = fit(LINEAR, model, split, cfg, QUIET)
    w_ref, b_ref = numpy_sgd_linear(split.x_train.astype(np.float64), split.y_train.astype(np.float64), cfg.learning_rate, cfg.epochs)
    kernel, bias = (v.numpy() for v in model.trainable_variables)
    # float32 training vs float64 reference: measured max relative difference 1.8e-7 after 25 steps (8e-7 after 100).
    np.testing.assert_allclose(kernel, w_ref, rtol=1e-4)
    np.testing.assert_allclose(bias, [b_ref], rtol=1e-4)
    assert history[-1]["loss"] < history[0]["loss"] / 100


def test_mlp_learns_on_real_digits(offline_split):
    small = data.Split(offline_split.x_train[:2000], offline_split.y_train[:2000],
                       offline_split.x_test[:500], offline_split.y_test[:500], "subset")
    tf.keras.utils.set_random_seed(0)
    history = fit(MLP, MLP.build(), small, dataclasses.replace(config.DEFAULTS["mlp"], epochs=2), QUIET)
    assert history[1]["loss"] < history[0]["loss"]
    assert history[-1]["test_accuracy"] > 0.8  # chance is 0.1


def test_diverging_training_raises_a_clear_error():
    with pytest.raises(TrainingError, match="lower --learning-rate"):
        fit(LINEAR, LINEAR.build(), data.load_linear(),
            dataclasses.replace(config.DEFAULTS["linear"], learning_rate=1e6), QUIET)


def test_resumed_run_matches_an_uninterrupted_one(tmp_path):
    """Checkpoint, stop at 6, resume to 10: same weights and history as 10 straight."""
    split = data.load_linear()
    cfg = dataclasses.replace(config.DEFAULTS["linear"], epochs=10)  # one step per epoch
    straight = LINEAR.build()
    fit(LINEAR, straight, split, cfg, FitOptions(progress=False, run_dir=tmp_path / "straight"))
    fit(LINEAR, LINEAR.build(), split, dataclasses.replace(cfg, epochs=6), FitOptions(progress=False, run_dir=tmp_path / "split"))
    resumed = LINEAR.build()
    history = fit(LINEAR, resumed, split, dataclasses.replace(cfg, resume=True), FitOptions(progress=False, run_dir=tmp_path / "split"))
    assert [r["epoch"] for r in history] == list(range(1, 11))
    for a, b in zip(straight.weights, resumed.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Not a trivial match: 10 steps move the weights well away from their zero start.
    assert np.abs(resumed.weights[0].numpy()).max() > 0.1
    kept = sorted(p.name for p in (tmp_path / "split" / "checkpoints").glob("*.index"))
    # Epoch-end checkpoints are written at most every config.EPOCH_CHECKPOINT_SECONDS and after the last epoch:
    # these runs take well under that, so each wrote only its last epoch's.
    assert kept == ["ckpt-10.index", "ckpt-6.index"]


def test_resume_refuses_a_missing_or_different_run(tmp_path):
    split, cfg = data.load_linear(), config.DEFAULTS["linear"]
    with pytest.raises(TrainingError, match="nothing to resume"):
        fit(LINEAR, LINEAR.build(), split, dataclasses.replace(cfg, resume=True), FitOptions(progress=False, run_dir=tmp_path))
    fit(LINEAR, LINEAR.build(), split, dataclasses.replace(cfg, epochs=2), FitOptions(progress=False, run_dir=tmp_path))
    with pytest.raises(TrainingError, match="different settings.*batch_size"):
        fit(LINEAR, LINEAR.build(), split, dataclasses.replace(cfg, batch_size=1, resume=True), FitOptions(progress=False, run_dir=tmp_path))


def scalars(log_dir) -> dict:
    """TensorBoard scalars in a log folder: {tag: [(step, value), ...]}."""
    found = {}
    for events in sorted(log_dir.glob("events.out.tfevents.*")):
        for raw in tf.data.TFRecordDataset(str(events)):
            event = tf.compat.v1.Event.FromString(raw.numpy())
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return found


def test_tensorboard_scalars_per_epoch(tmp_path):
    history = fit(LINEAR, LINEAR.build(), data.load_linear(), dataclasses.replace(config.DEFAULTS["linear"], epochs=3),
                  FitOptions(progress=False, run_dir=tmp_path))
    logged = scalars(tmp_path / "logs")
    assert set(logged) == {"loss", "test_loss", "examples_per_sec"}  # regression: no accuracy
    assert logged["loss"] == [(r["epoch"], pytest.approx(r["loss"])) for r in history]
    assert all(v > 0 for _, v in logged["examples_per_sec"])


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_reaches_the_same_accuracy(tmp_path, cli):
    """Kill -9 after the first checkpoint, resume, and end where an uninterrupted run ends (±0.5 pt).

    Only the killed run needs a process of its own; the uninterrupted and the resumed runs go through the same
    command line in this one.
    """
    args = ("train", "mlp", "--epochs", "3", "--checkpoint-every", "100", "--no-progress")
    whole = cli(*args, "--out", tmp_path / "whole")
    assert whole.code == 0, whole.err
    out = tmp_path / "killed"
    index = out.with_name("killed.run") / "checkpoints" / "checkpoint"
    proc = subprocess.Popen([sys.executable, "-m", *args, "--out", str(out)], cwd=CHECKOUT, env=user_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not index.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not out.exists(), "killed mid-run: no artifact"
    resumed = cli(*args, "--resume", "--out", out)
    assert resumed.code == 0, resumed.err
    step = int(re.search(r"resumed at step (\d+)", resumed.out).group(1))
    assert 100 <= step < 750  # 3 epochs of 250 steps; a checkpoint every 100
    a = json.loads((tmp_path / "whole" / "run.json").read_text())
    b = json.loads((out / "run.json").read_text())
    assert [r["epoch"] for r in b["history"]] == [1, 2, 3]
    # Measured: identical accuracy (0.9295) and bit-identical weights, resumed at step 100; the ±0.5 pt
    # bound is the issue's, leaving room for hardware whose kernels are not run-to-run deterministic.
    assert abs(a["final"]["test_accuracy"] - b["final"]["test_accuracy"]) <= 0.005


def test_one_pipeline_for_all_epochs_yields_each_epochs_batches_in_order():
    """epochs_dataset (one replica) = as_dataset per epoch (several replicas), a resumed first epoch included."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 3)).astype(np.float32), np.arange(10, dtype=np.int64)
    for skip in (0, 2):
        joined = [(a.numpy(), b.numpy()) for a, b in data.epochs_dataset(x, y, 4, 7, range(2, 5), skip)]
        apart = [(a.numpy(), b.numpy()) for e in range(2, 5)
                 for a, b in data.as_dataset(x, y, 4, shuffle_seed=7, epoch=e).skip(skip if e == 2 else 0)]
        assert [len(b) for _, b in joined] == ([4, 4, 2] * 3)[skip:]  # each epoch's last batch is short
        for (xa, ya), (xb, yb) in zip(joined, apart, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(joined[0][1], joined[3][1])  # negative control: epochs are shuffled differently

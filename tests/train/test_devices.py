"""Distributed training as a user runs it: logical devices, 1 vs 2 replicas, multi-worker over 127.0.0.1.

Logical devices can be configured once per process, before TensorFlow initialises its devices, so every
multi-device run here is a `python -m train` subprocess, never the pytest process itself.
"""

import contextlib
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.support.helpers import Background, parity_rows, summary, user_env, verify
from tfjs_bridge.common.paths import CHECKOUT

# A few optimizer steps: 8,000 digits in global batches of 500 = 16 steps.
FEW_STEPS = ("--epochs", "1", "--batch-size", "500", "--no-progress")
WORKER_TIMEOUT_S = 240


def train_command(*args) -> list[str]:
    return [sys.executable, "-m", "train", *args]


def early_commands(folder: Path) -> dict:
    """Runs that must configure devices before TensorFlow starts, each a process of its own; conftest's lane."""
    return {
        "devices": Background(folder, train_command("devices", "--virtual-devices", "2"), name="devices"),
        "mirrored": Background(folder, train_command("mlp", *FEW_STEPS, "--strategy", "mirrored", "--virtual-devices", "2",
                                                     "--out", str(folder / "mirrored")), name="mirrored"),
    }


def saved_weights(artifact) -> dict:
    """Every variable of an artifact's SavedModel, by checkpoint key."""
    reader = tf.train.load_checkpoint(str(artifact / "saved_model" / "variables" / "variables"))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map() if "OBJECT_GRAPH" not in key}


def test_devices_lists_physical_and_logical_devices(cli, request):
    # This process never splits its CPU (see the module docstring), so it lists the plain set-up.
    plain = cli("devices")
    assert plain.code == 0, plain.err
    assert "1 physical CPU, 1 logical CPU" in plain.out
    split = request.module.early["devices"].result(timeout=WORKER_TIMEOUT_S)
    assert split.returncode == 0, split.stderr
    assert "logical   /device:CPU:1" in split.stdout
    assert "2 logical CPU" in split.stdout or "2 logical GPU" in split.stdout


@pytest.fixture(scope="module")
def one_and_two_devices(request):
    """The same short MLP run on the default strategy (in this process) and mirrored over 2 logical devices."""
    from tfjs_bridge.train.cli import main

    early = request.module.early["mirrored"]
    early.start()  # if the lane has not yet: it trains while this process does the single-device run
    root = Path(early.argv[-1]).parent
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["mlp", *FEW_STEPS, "--out", str(root / "single")]) == 0
    mirrored = early.result(timeout=WORKER_TIMEOUT_S)
    assert mirrored.returncode == 0, mirrored.stderr
    return root, summary(printed.getvalue()), summary(mirrored.stdout)


def test_two_replicas_end_with_the_weights_of_one(one_and_two_devices):
    root, single, mirrored = one_and_two_devices
    assert single["replicas"].startswith("1 ") and mirrored["replicas"].startswith("2 (mirrored")
    a, b = saved_weights(root / "single"), saved_weights(root / "mirrored")
    assert a.keys() == b.keys() and len(a) == 4  # two Dense layers: kernel and bias each
    diff = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    # Same data order and global batch; only the order of float32 sums differs (gradients are summed per
    # replica, then across). Measured max |Δ| (weights up to 0.25): 1.5e-8 after these 16 Adam steps, 6.0e-7
    # after 750 (3 epochs, batch 32). 1e-5 leaves room for other hardware; one step more or less moves weights ~1e-3.
    assert diff <= 1e-5, diff
    run_a = json.loads((root / "single" / "run.json").read_text())
    run_b = json.loads((root / "mirrored" / "run.json").read_text())
    assert run_b["distribution"] == {"strategy": "mirrored", "replicas": 2, "worker": "local"}
    assert run_a["final"]["test_accuracy"] == pytest.approx(run_b["final"]["test_accuracy"], abs=1e-3)
    for record in (run_a, run_b):
        assert record["examples_per_sec"] > 0
    assert "examples/s" in single["throughput"] and "examples/s" in mirrored["throughput"]


def test_mirrored_export_passes_node_parity(one_and_two_devices, tmp_path):
    from tfjs_bridge.export.convert import export_artifact

    root, _, _ = one_and_two_devices
    export_artifact(root / "mirrored", tmp_path)
    result = verify(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = parity_rows(result.stdout, "mlp")
    assert sorted((r["backend"], r["result"]) for r in rows) == [("cpu", "pass"), ("wasm", "pass")]


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_two_workers_on_localhost_train_identically_and_only_the_chief_writes(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = []
    try:
        for index in range(2):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            procs.append(subprocess.Popen(
                train_command("mlp", *FEW_STEPS, "--strategy", "multiworker", "--out", str(tmp_path / f"w{index}")),
                cwd=CHECKOUT, env=user_env(TF_CONFIG=json.dumps(tf_config)),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            ))
        outputs = [p.communicate(timeout=WORKER_TIMEOUT_S) for p in procs]
    finally:
        for p in procs:  # a hung collective must not outlive the test
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    chief, other = (summary(out) for out, _ in outputs)
    assert chief["replicas"] == "2 (multiworker strategy, worker 0)"
    assert other["replicas"] == "2 (multiworker strategy, worker 1)"
    assert chief["weights"] == other["weights"]  # all-reduced updates: bit-identical on both workers
    record = json.loads((tmp_path / "w0" / "run.json").read_text())
    assert chief["weights"] == f"sha256 {record['weights_sha256'][:16]}"
    assert (tmp_path / "w0.run" / "checkpoints").is_dir()
    assert not (tmp_path / "w1").exists() and not (tmp_path / "w1.run").exists()
    assert other["written to"].startswith("nothing")


@pytest.mark.parametrize("tf_config, message", [(None, "needs TF_CONFIG"), ("{", "TF_CONFIG is not valid"),
                                                 ('{"cluster": {}}', "TF_CONFIG is not valid")])
def test_multiworker_without_a_usable_tf_config_is_a_clear_error(cli, monkeypatch, tf_config, message):
    # The configuration is checked before any strategy exists, so this process stays single-worker.
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    result = cli("train", "mlp", "--strategy", "multiworker")
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err

"""MobileNetV2 under MirroredStrategy on 2 logical devices, on mock cats_vs_dogs, exported and checked in Node."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.helpers import Background, parity_rows, summary, verify
from tfjs_bridge.export.convert import export_artifact
from tfjs_bridge.train import config

# tfds.testing.mock_data must wrap the training in the same process, which runs the real CLI entry point.
MOCKED_CLI = """
import sys
import tensorflow_datasets as tfds
from tfjs_bridge.train.cli import main
with tfds.testing.mock_data(num_examples=16):
    code = main(sys.argv[1:])
sys.exit(code)
"""


def early_commands(folder: Path) -> dict:
    """The training run (most of a minute), for conftest's lane: it trains while earlier modules' tests run."""
    return {"train": Background(folder, [sys.executable, "-c", MOCKED_CLI, "mobilenet", "--image-size", "32", "--epochs",
                                         "1", "--batch-size", "8", "--strategy", "mirrored", "--virtual-devices", "2",
                                         "--no-progress", "--out", str(folder / "mobilenet")])}


@pytest.mark.slow
def test_mobilenet_on_two_logical_devices_exports_with_parity(request, tmp_path):
    trained = request.module.early["train"].result(timeout=400)
    out = Path(trained.args[-1])
    assert trained.returncode == 0, trained.stderr
    assert summary(trained.stdout)["replicas"] == "2 (mirrored strategy, local)"
    record = json.loads((out / "run.json").read_text())
    assert record["input"] == {"name": "image", "shape": [None, 32, 32, 3], "dtype": "float32"}
    assert record["distribution"] == {"strategy": "mirrored", "replicas": 2, "worker": "local"}
    assert record["labels"] == ["cat", "dog"] and record["train_examples"] == 16
    assert set(record["final"]) >= {"loss", "test_loss", "test_accuracy", "examples_per_sec"}
    golden = np.load(out / "golden_inputs.npy")
    assert golden.shape == (config.MOBILENET_GOLDEN_COUNT, 32, 32, 3) and 0 <= golden.min() <= golden.max() <= 1
    assert list(out.with_name("mobilenet.run").glob("logs/train/events.out.tfevents.*"))

    # The export needs no logical devices: it runs here, saving a process that imports TensorFlow.
    models = tmp_path / "web_models"
    meta = export_artifact(out, models)
    assert meta["inputs"] == [record["input"]] and meta["labels"] == ["cat", "dog"] and meta["counterpart"] == "mobilenet"
    result = verify(models)
    # Conv, depthwise conv and folded batch norm hold the float32 tolerance (1e-4): measured max |Δ| for this
    # run (16 images, batch 8) 3.0e-8 (cpu) and 0 (wasm), as with 48 images; 6.0e-8 / 3.0e-8 after 2 epochs on 64
    # images (two-class softmax, near 0.5).
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    rows = parity_rows(result.stdout, "mobilenet")
    assert sorted((r["backend"], float(r["tolerance"]), r["result"]) for r in rows) == [
        ("cpu", 1e-4, "pass"), ("wasm", 1e-4, "pass")]
